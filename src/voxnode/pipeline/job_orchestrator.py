"""One job through the pipeline: ASR -> aggregation -> repair -> translation -> dedup -> TTS.

A failing stage never loses the job: repair failure is PASS (the router's rule), REJECT
stops before translation, a failed translation or TTS still returns the texts made so far
and names the stage in `degraded`. Only an ASR that produced nothing fails the job. Bad
input (audio that is not audio, an unknown language) is the caller's error: 4xx.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable

from pydantic import ValidationError

from voxnode.contracts.errors import BadInputError, ErrorCategory
from voxnode.contracts.job import (
    JobRequest,
    JobResult,
    JobStatus,
    Stage,
)
from voxnode.contracts.languages import AUTO, language_code
from voxnode.contracts.node_settings import PipelineSettings
from voxnode.contracts.repair import Decision, ReasonCode, RepairRequest
from voxnode.contracts.routing_settings import RouteStage
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_request import ServiceRequest
from voxnode.contracts.speech import (
    SynthesizedAudio,
    SynthesizeRequest,
    TranscribeRequest,
    TranscribeResponse,
    TranslateRequest,
    TranslateResponse,
)
from voxnode.pipeline import aggregation
from voxnode.pipeline.job_run import JobRun
from voxnode.pipeline.job_sessions import JobLedger, Session, Sessions
from voxnode.pipeline.job_stream import JobStream
from voxnode.pipeline.pipeline_metrics import PipelineMetrics
from voxnode.pipeline.repair_router import RepairRouter
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.service_replies import ServiceCallError
from voxnode.pipeline.stage_routes import StageRoutes
from voxnode.pipeline.text_dedup import trim_overlap, trim_repetition
from voxnode.routing.route_rules import Route, RouteDecision, RouteReason, retranslate

NBEST_LANGUAGES = frozenset({"en", "zh", "auto"})
"""Where a repair service judges alternative transcripts (semantic-repair-en chooses among
them; semantic-repair-zh takes their differing runs as candidates)."""
NBEST_SIZE = 5
OnAsr = Callable[[JobResult], Awaitable[None]]
"""Told the ASR text as soon as it is known (a scheduler's asr_partial)."""
JobListener = Callable[[JobResult], None]
"""Told every finished job's result (the dashboard's recent jobs and latency charts)."""


class JobOrchestrator:
    def __init__(
        self,
        client: ServiceClient,
        repair: RepairRouter,
        settings: PipelineSettings,
        metrics: PipelineMetrics,
        *,
        routes: StageRoutes,
    ):
        self._client = client
        self._routes = routes
        self._repair = repair
        self._settings = settings
        self.metrics = metrics
        self._sessions = Sessions(settings.max_sessions, settings.session_ttl_s)
        self._ledger = JobLedger(settings.dedup_ttl_s)
        self._listeners: list[JobListener] = []

    def add_listener(self, listener: JobListener) -> None:
        """`listener(result)` after each job that ran (not for repeats of a job_id)."""
        self._listeners.append(listener)

    @property
    def client(self) -> ServiceClient:
        return self._client

    @property
    def settings(self) -> PipelineSettings:
        return self._settings

    def reserve_index(self, session_id: str) -> int:
        """The session's next utterance index, taken now: a job that names it runs in its
        place, and no other job of the session gets it (a stream's utterance, reserved when
        its speech starts)."""
        return self._sessions.get(session_id).reserve_index()

    async def run(
        self, request: JobRequest, on_asr: OnAsr | None = None, *,
        stream: JobStream | None = None,
    ) -> JobResult:  # fmt: skip
        job_id = request.job_id or uuid.uuid4().hex
        earlier = self._ledger.earlier(job_id)
        if earlier is not None:
            first = await asyncio.shield(earlier)
            return first.model_copy(update={"duplicate": True})
        session = self._sessions.get(request.session_id)
        index = request.utterance_index
        if index is None:
            index = session.next_index
        future = self._ledger.claim(job_id, request.session_id, index)
        session.next_index = max(session.next_index, index + 1)
        done = session.inflight[index] = asyncio.Event()
        try:
            result = await self._pipeline(request, job_id, index, session, on_asr, stream)
            await session.wait_turn(index)
        except BaseException as exc:
            self._ledger.release(job_id)
            future.set_exception(exc)
            future.exception()  # retrieved: a duplicate waiting on it sees it, no one else must
            raise
        finally:
            done.set()
            session.inflight.pop(index, None)
        future.set_result(result)
        self.metrics.count_job(result)
        for listener in self._listeners:
            listener(result)
        return result

    # ----- the stages

    async def _pipeline(
        self,
        request: JobRequest,
        job_id: str,
        index: int,
        session: Session,
        on_asr: OnAsr | None,
        stream: JobStream | None = None,
    ) -> JobResult:
        result = JobResult(
            job_id=job_id, session_id=request.session_id, utterance_index=index,
            status=JobStatus.OK, src_lang=language_code(request.src_lang),
            tgt_lang=language_code(request.tgt_lang),
        )  # fmt: skip
        if request.route is not None:
            session.route = request.route
        run = JobRun(request, result, route=session.route, stream=stream)
        if request.audio is not None:
            if not await self._asr(run):
                return self._finish(run, JobStatus.FAILED)
            if on_asr is not None:
                await on_asr(result)
        text = trim_repetition(result.text_asr if request.audio is not None else request.text or "")
        if text != (result.text_asr or request.text):
            result.reason_codes.append(ReasonCode.REPETITION_TRIMMED)
        trimmed = trim_overlap(
            session.last_text, text, min_chars=self._settings.overlap_min_chars,
            min_words=self._settings.overlap_min_words,
        )  # fmt: skip
        if trimmed != text:
            result.reason_codes.append(ReasonCode.OVERLAP_TRIMMED)
        text = aggregation.join(session.held, trimmed)
        if session.held:
            result.reason_codes.append(ReasonCode.MERGED_HELD_FRAGMENT)
        session.held = ""
        if not request.manual_cut and aggregation.should_hold(
            text, result.quality_score, self._settings.merge_score
        ):
            session.held = text
            result.reason_codes.append(ReasonCode.HELD_FOR_NEXT_UTTERANCE)
            return self._finish(run, JobStatus.MERGED)
        if not text.strip():
            result.reason_codes.append(ReasonCode.NO_SPEECH)
            return self._finish(run, JobStatus.OK)
        if request.want_translation and result.src_lang == result.tgt_lang:
            raise BadInputError(
                f"source and target are both '{result.src_lang}'", code="SAME_LANGUAGE"
            )
        if not request.want_repair:
            result.text_repaired = text
        elif not await self._repair_stage(run, text, session):
            return self._finish(run, JobStatus.REJECTED)
        if stream is not None:
            await stream.repaired(result)
        previous = (
            (session.last_text, session.last_translation)
            if request.context_text is None
            else (request.context_text, None)
        )
        session.last_text, session.last_translation = result.text_repaired, ""
        if not request.want_translation:
            return self._finish(run, JobStatus.OK)
        streamed = stream is not None and await stream.translate_and_speak(
            result, request, previous, run.route
        )
        if streamed or await self._translate(run, previous):
            session.last_translation = result.text_translated
            if request.want_audio and not streamed:
                await self._synthesize(run)
            if stream is not None and not streamed:
                await stream.spoke_whole(result)
        return self._finish(run, JobStatus.DEGRADED if result.degraded else JobStatus.OK)

    async def _asr(self, run: JobRun) -> bool:
        request, result = run.request, run.result
        started = time.monotonic()
        if not request.audio:
            raise BadInputError("the audio is empty", code="EMPTY_AUDIO")
        auto = result.src_lang == AUTO
        judged = request.want_repair and result.src_lang in NBEST_LANGUAGES
        transcribe = TranscribeRequest(
            audio=request.audio, audio_format=request.audio_format,
            sample_rate=request.sample_rate, language=None if auto else result.src_lang,
            nbest=NBEST_SIZE if judged else 0,
            nbest_below_quality=self._repair.alternatives_below_quality(result.src_lang),
        )  # fmt: skip
        languages = [] if auto else [result.src_lang]
        decision = self._decide(run, RouteStage.ASR, transcribe, languages)
        try:
            # a stream's early or prefix decodes ran here: used only when the ASR goes local
            local = decision.first is Route.LOCAL
            early = await run.stream.transcribed(transcribe) if run.stream and local else None
            reply = early or await self._client.call(
                ServiceType.ASR, languages, transcribe, TranscribeResponse,
                deadline=started + self._settings.asr_timeout_ms / 1000, route=decision,
            )  # fmt: skip
        except ServiceCallError as exc:
            self._raise_if_bad_input(exc)
            run.degrade(Stage.ASR, exc)
            run.timed(Stage.ASR, started)
            return False
        self._went(run, Stage.ASR, RouteStage.ASR, decision, reply.route)
        asr = reply.body
        result.text_asr, result.quality_score = asr.text, asr.quality_score
        run.nbest = asr.nbest
        result.asr_language_probability = asr.language_probability
        if auto:
            result.src_lang = language_code(asr.language)
        result.tgt_lang = request.target_for(result.src_lang)
        result.services[Stage.ASR.value] = reply.service_id
        run.timed(Stage.ASR, started, asr.process_time_ms)
        return True

    async def _repair_stage(self, run: JobRun, text: str, session: Session) -> bool:
        result = run.result
        started = time.monotonic()
        heard_as_is = bool(run.nbest) and text == result.text_asr  # not trimmed or merged
        meta = (
            {"nbest": [h.text for h in run.nbest], "nbest_scores": [h.score for h in run.nbest]}
            if heard_as_is
            else None
        )
        answer = await self._repair.repair(
            RepairRequest(
                job_id=result.job_id,
                session_id=result.session_id,
                utterance_index=result.utterance_index,
                lang=result.src_lang,
                text_in=text,
                quality_score=result.quality_score,
                meta=meta,
            )
        )
        result.repair_decision = answer.decision.value
        result.reason_codes.extend(answer.reason_codes)
        if answer.service_id:
            result.services[Stage.REPAIR.value] = answer.service_id
        run.timed(Stage.REPAIR, started, answer.process_time_ms)
        if answer.decision is Decision.REJECT:
            result.text_repaired = ""
            return False
        result.text_repaired = answer.text_out
        return True

    async def _translate(self, run: JobRun, previous: tuple[str, str | None]) -> bool:
        result = run.result
        started = time.monotonic()
        translate = TranslateRequest(
            text=result.text_repaired, src_lang=result.src_lang, tgt_lang=result.tgt_lang,
            context_text=previous[0] or None, context_translation=previous[1] or None,
        )  # fmt: skip
        languages = [result.src_lang, result.tgt_lang]
        facts = self._routes.facts(RouteStage.NMT, translate, languages, override=run.route)
        decision = self._routes.decide(RouteStage.NMT, facts)
        deadline = started + self._settings.nmt_timeout_ms / 1000
        try:
            reply = await self._client.call(
                ServiceType.NMT, languages, translate, TranslateResponse, deadline=deadline,
                route=decision,
            )  # fmt: skip
        except ServiceCallError as exc:
            self._raise_if_bad_input(exc)
            run.degrade(Stage.NMT, exc)
            run.timed(Stage.NMT, started)
            return False
        settings = self._client.routing.stage(RouteStage.NMT)
        if retranslate(reply.body.quality, reply.route, facts, settings):
            again = RouteDecision((Route.CLOUD,), RouteReason.LOW_QUALITY)
            with contextlib.suppress(ServiceCallError):  # the local translation stands
                reply = await self._client.call(
                    ServiceType.NMT, languages, translate, TranslateResponse,
                    deadline=deadline, route=again,
                )  # fmt: skip
                decision = again
        self._went(run, Stage.NMT, RouteStage.NMT, decision, reply.route)
        translation = reply.body
        result.text_translated = translation.text
        result.translation_quality = translation.quality
        if translation.low_confidence:
            result.reason_codes.append(ReasonCode.TRANSLATION_LOW_CONFIDENCE)
        result.reason_codes.extend(f"TRANSLATION_{issue}" for issue in translation.issues)
        result.services[Stage.NMT.value] = reply.service_id
        run.timed(Stage.NMT, started, reply.body.process_time_ms or reply.elapsed_ms)
        return True

    async def _synthesize(self, run: JobRun) -> None:
        result, fmt = run.result, run.request.output_format
        started = time.monotonic()
        try:
            synthesize = SynthesizeRequest(
                text=result.text_translated, lang=result.tgt_lang, format=fmt
            )
            decision = self._decide(run, RouteStage.TTS, synthesize, [result.tgt_lang])
            reply = await self._client.call(
                ServiceType.TTS, [result.tgt_lang], synthesize, SynthesizedAudio,
                deadline=started + self._settings.tts_timeout_ms / 1000, route=decision,
            )  # fmt: skip
        except ValidationError as exc:
            run.degrade(Stage.TTS, ServiceCallError(
                f"the translation cannot be spoken: {exc.errors()[0]['msg']}",
                code="TEXT_NOT_SPEAKABLE", category=ErrorCategory.BAD_INPUT,
            ))  # fmt: skip
            run.timed(Stage.TTS, started)
            return
        except ServiceCallError as exc:
            run.degrade(Stage.TTS, exc)  # bad input here is our text, not the caller's
            run.timed(Stage.TTS, started)
            return
        self._went(run, Stage.TTS, RouteStage.TTS, decision, reply.route)
        audio = reply.body
        result.audio = base64.b64encode(audio.audio).decode()
        result.audio_format = fmt
        result.sample_rate = audio.sample_rate
        result.audio_duration_s = audio.duration_s
        result.services[Stage.TTS.value] = reply.service_id
        run.timed(Stage.TTS, started, audio.process_time_ms or reply.elapsed_ms)

    # ----- bookkeeping

    def _decide(
        self, run: JobRun, stage: RouteStage, request: ServiceRequest, languages: list[str]
    ) -> RouteDecision:
        facts = self._routes.facts(stage, request, languages, override=run.route)
        return self._routes.decide(stage, facts)

    def _went(
        self, run: JobRun, stage: Stage, route_stage: RouteStage, decision: RouteDecision,
        went: Route,
    ) -> None:  # fmt: skip
        run.result.routes[stage.value] = went.value
        run.result.route_reasons[stage.value] = self._routes.record(route_stage, decision, went)

    @staticmethod
    def _raise_if_bad_input(exc: ServiceCallError) -> None:
        if exc.category is ErrorCategory.BAD_INPUT:
            raise BadInputError(exc.message, code=exc.code, status=exc.status)

    def _finish(self, run: JobRun, status: JobStatus) -> JobResult:
        result = run.result
        result.status = status
        result.reason_codes = list(dict.fromkeys(result.reason_codes))
        result.timings.total_ms = round((time.monotonic() - run.started) * 1000, 3)
        return result
