"""Translation and speech piece by piece: the translator's stream (POST /v1/translate/stream
through the service client's `stream()`, which fails over only before the first byte) gives
clauses; each is told as a `translation` event and queued for TTS at once, so piece n is
being spoken while piece n+1 is being translated. TTS calls go one at a time, in order, so
the `audio` events leave in order, each piece once.

When a piece's speech fails (after the service client's own failover), nothing after it is
spoken: the audio is always a prefix of the translation, never one with a hole. When the
translation's stream breaks off after pieces were told, the translation is those pieces
(degraded, CUT_SHORT). When it cannot begin (a cloud route: clouds do not stream this; no
translator answers a stream), nothing was said and the orchestrator's one-result path runs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncGenerator
from typing import cast

from voxnode.contracts.errors import BadInputError, ErrorBody, ErrorCategory
from voxnode.contracts.job import Degradation, JobRequest, JobResult, Stage
from voxnode.contracts.languages import UNSPACED_LANGUAGES
from voxnode.contracts.node_settings import PipelineSettings, StreamSettings
from voxnode.contracts.repair import ReasonCode
from voxnode.contracts.routing_settings import RouteStage
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.speech import SynthesizedAudio, SynthesizeRequest, TranslateRequest
from voxnode.contracts.stream_messages import AudioEvent, TranslationDoneEvent, TranslationEvent
from voxnode.contracts.translate_stream import (
    DONE_EVENT,
    ERROR_EVENT,
    PIECE_EVENT,
    TranslateStreamRequest,
    TranslationDone,
    TranslationPiece,
)
from voxnode.pipeline.audio_join import join_audio
from voxnode.pipeline.job_stream import JobStream
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.service_replies import Reply, ServiceCallError
from voxnode.pipeline.sse_events import sse_events
from voxnode.pipeline.stage_routes import StageRoutes
from voxnode.routing.route_rules import Override, Route, RouteDecision

CUT_SHORT = "CUT_SHORT"


class StreamedTranslation:
    def __init__(
        self, client: ServiceClient, routes: StageRoutes, settings: PipelineSettings,
        stream: StreamSettings,
    ):  # fmt: skip
        self._client = client
        self._routes = routes
        self._settings = settings
        self._first_piece_ms = stream.first_piece_timeout_ms

    async def run(
        self, job: JobStream, result: JobResult, request: JobRequest,
        previous: tuple[str, str | None], override: Override | None,
    ) -> bool:  # fmt: skip
        fields = dict(
            text=result.text_repaired, src_lang=result.src_lang, tgt_lang=result.tgt_lang,
            context_text=previous[0] or None, context_translation=previous[1] or None,
        )  # fmt: skip
        languages = [result.src_lang, result.tgt_lang]
        facts = self._routes.facts(
            RouteStage.NMT, TranslateRequest(**fields), languages, override=override
        )
        decision = self._routes.decide(RouteStage.NMT, facts)
        if decision.first is not Route.LOCAL:
            return False  # a cloud translates in one piece: the one-result path
        started = time.monotonic()
        deadline = started + self._settings.nmt_timeout_ms / 1000
        try:
            reply = await self._client.stream(
                ServiceType.NMT, languages, TranslateStreamRequest(**fields), deadline=deadline,
                first_byte_s=self._first_piece_ms / 1000 if self._first_piece_ms else None,
                route=RouteDecision((Route.LOCAL,), decision.reason),
            )  # fmt: skip
        except ServiceCallError as exc:
            if exc.category is ErrorCategory.BAD_INPUT:
                raise BadInputError(exc.message, code=exc.code, status=exc.status) from exc
            return False
        voice = PieceVoice(self._client, self._routes, self._settings, job, result, request,
                           override)  # fmt: skip
        pieces: list[str] = []
        done: TranslationDone | None = None
        chunks = cast(AsyncGenerator[bytes, None], reply.chunks())
        try:
            async with contextlib.aclosing(chunks):  # a break or an error closes the stream
                async for event in sse_events(chunks):
                    if event.event == PIECE_EVENT:
                        piece = TranslationPiece.model_validate_json(event.data)
                        pieces.append(piece.text)
                        await job.tell(TranslationEvent(index=piece.index, text=piece.text),
                                       result)  # fmt: skip
                        voice.say(piece)
                    elif event.event == DONE_EVENT:
                        done = TranslationDone.model_validate_json(event.data)
                    elif event.event == ERROR_EVENT:
                        error = ErrorBody.model_validate_json(event.data).error
                        raise ServiceCallError(error.message, code=error.code,
                                               category=error.category)  # fmt: skip
        except ServiceCallError as exc:
            if not pieces:
                await voice.close()
                return False  # nothing was said: the one-result path may still answer
            result.degraded.append(Degradation(stage=Stage.NMT, code=exc.code,
                                               message=exc.message))  # fmt: skip
        except BaseException:
            await voice.close()
            raise
        if done is None:
            joiner = "" if result.tgt_lang in UNSPACED_LANGUAGES else " "
            done = TranslationDone(text=joiner.join(pieces), low_confidence=True,
                                   issues=[CUT_SHORT])  # fmt: skip
        self._translated(result, done, reply.service_id, started, decision)
        await job.tell(
            TranslationDoneEvent(text=done.text, quality=done.quality,
                                 low_confidence=done.low_confidence, issues=done.issues),
            result,
        )  # fmt: skip
        await voice.finish()
        return True

    def _translated(
        self, result: JobResult, done: TranslationDone, service_id: str, started: float,
        decision: RouteDecision,
    ) -> None:  # fmt: skip
        result.text_translated = done.text
        result.translation_quality = done.quality
        if done.low_confidence:
            result.reason_codes.append(ReasonCode.TRANSLATION_LOW_CONFIDENCE)
        result.reason_codes.extend(f"TRANSLATION_{issue}" for issue in done.issues)
        result.services[Stage.NMT.value] = service_id
        result.timings.nmt_ms = round((time.monotonic() - started) * 1000, 3)
        if done.process_time_ms:
            result.service_times_ms[Stage.NMT.value] = round(done.process_time_ms, 3)
        result.routes[Stage.NMT.value] = Route.LOCAL.value
        reason = self._routes.record(RouteStage.NMT, decision, Route.LOCAL)
        result.route_reasons[Stage.NMT.value] = reason


class PieceVoice:
    """Speaks the pieces in order, one TTS call at a time, as they are queued."""

    def __init__(
        self, client: ServiceClient, routes: StageRoutes, settings: PipelineSettings,
        job: JobStream, result: JobResult, request: JobRequest, override: Override | None,
    ):  # fmt: skip
        self._client, self._routes, self._settings = client, routes, settings
        self._job, self._result = job, result
        self._wanted = request.want_audio
        self._format = request.output_format
        self._override = override
        self._queue: asyncio.Queue[TranslationPiece | None] = asyncio.Queue()
        self._audio: list[bytes] = []
        self._task = asyncio.create_task(self._speak()) if self._wanted else None

    def say(self, piece: TranslationPiece) -> None:
        if self._task is not None:
            self._queue.put_nowait(piece)

    async def finish(self) -> None:
        """Every queued piece spoken (or the speech failed); the result has the audio."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        await self._task
        if self._audio:
            result = self._result
            result.audio = base64.b64encode(join_audio(self._audio, self._format)).decode()
            result.audio_format = self._format

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _speak(self) -> None:
        result, spent_ms, seconds = self._result, 0.0, 0.0
        while (piece := await self._queue.get()) is not None:
            started = time.monotonic()
            try:
                reply = await self._synthesize(piece.text)
            except ServiceCallError as exc:  # bad input here is our text, not the caller's
                result.degraded.append(Degradation(stage=Stage.TTS, code=exc.code,
                                                   message=exc.message))  # fmt: skip
                break  # nothing after a piece that cannot be spoken: no hole in the audio
            spent_ms += (time.monotonic() - started) * 1000
            audio = reply.body
            self._audio.append(audio.audio)
            seconds += audio.duration_s or 0.0
            result.sample_rate = audio.sample_rate
            result.audio_duration_s = round(seconds, 3)
            result.services[Stage.TTS.value] = reply.service_id
            result.timings.tts_ms = round(spent_ms, 3)
            await self._job.tell(
                AudioEvent(
                    index=piece.index, text=piece.text,
                    audio=base64.b64encode(audio.audio).decode(), format=self._format,
                    sample_rate=audio.sample_rate, duration_s=audio.duration_s,
                ),
                result,
            )  # fmt: skip

    async def _synthesize(self, text: str) -> Reply[SynthesizedAudio]:
        result = self._result
        request = SynthesizeRequest(text=text, lang=result.tgt_lang, format=self._format)
        facts = self._routes.facts(
            RouteStage.TTS, request, [result.tgt_lang], override=self._override
        )
        decision = self._routes.decide(RouteStage.TTS, facts)
        reply = await self._client.call(
            ServiceType.TTS, [result.tgt_lang], request, SynthesizedAudio,
            deadline=time.monotonic() + self._settings.tts_timeout_ms / 1000, route=decision,
        )  # fmt: skip
        if Stage.TTS.value not in result.routes:
            result.routes[Stage.TTS.value] = reply.route.value
            reason = self._routes.record(RouteStage.TTS, decision, reply.route)
            result.route_reasons[Stage.TTS.value] = reason
        return reply
