"""One live stream (WS /v1/stream): audio frames in; per utterance, VAD endpoints, partial
ASR hypotheses, the final transcript, the repair decision, translation pieces and audio
pieces out, each stamped with the time since the stream began and the utterance index.

Frames go through the voice activity detector (pipeline/voice_activity.py) and the
endpointer; while the speaker talks, the utterance so far is decoded now and then
(decode_policy.py) and LocalAgreement keeps the committed text from flickering back. At
the endpoint the utterance becomes a job of the pipeline (the orchestrator, with a
JobStream), which streams its translation and speaks it piece by piece. If the decode that
started when the silence began heard all the speech, it is the job's transcript: the
endpoint does not wait for another decode. Jobs run while the next utterance is heard;
their output leaves in utterance order (utterance_order.py).

`close()` ends everything: decodes, jobs, their service requests (a streamed translation's
request is closed, which stops its generation).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.job import JobRequest
from voxnode.contracts.node_settings import PipelineSettings, StreamSettings
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.speech import AudioFormat, TranscribeRequest, TranscribeResponse
from voxnode.contracts.stream_messages import (
    AsrPartialEvent,
    StreamDoneEvent,
    StreamErrorEvent,
    StreamStart,
    UtteranceResultEvent,
    VadEvent,
)
from voxnode.pipeline.decode_policy import DecodeKind, DecodeRules, DecodeState, next_decode
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.job_stream import JobStream, usable_transcript
from voxnode.pipeline.local_agreement import LocalAgreement
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.service_replies import Reply
from voxnode.pipeline.stream_audio import StreamDecoder
from voxnode.pipeline.streamed_translation import StreamedTranslation
from voxnode.pipeline.utterance_order import UtteranceOrder
from voxnode.pipeline.vad_endpointer import Endpointer, EndpointRules, SpeechEnded, SpeechStarted
from voxnode.pipeline.voice_activity import FRAME_MS, FRAME_SAMPLES, VAD_RATE, FrameSlicer
from voxnode.pipeline.voice_activity import VoiceActivity as Vad

Emit = Callable[[BaseModel], Awaitable[None]]
Transcript = Reply[TranscribeResponse]

log = logging.getLogger(__name__)


def frames(ms: float) -> int:
    """Frames that last at least about `ms` (one at the least)."""
    return max(1, round(ms / FRAME_MS))


@dataclass(slots=True)
class _Decode:
    task: asyncio.Task[Transcript | None]
    heard_to: int
    """The frame it heard up to (exclusive)."""


@dataclass(slots=True)
class _Utterance:
    number: int
    """Its place in this stream (0, 1, ...)."""
    index: int
    """The pipeline session's utterance index."""
    start: int
    """Its first frame (the first voiced one)."""
    agreement: LocalAgreement = field(default_factory=LocalAgreement)
    decode: _Decode | None = None
    decoded_at: int = 0
    """The frame at which the last decode began."""


class StreamSession:
    def __init__(
        self, start: StreamStart, *, jobs: JobOrchestrator, client: ServiceClient,
        speaker: StreamedTranslation, settings: StreamSettings, pipeline: PipelineSettings,
        vad: Vad, emit: Emit,
    ):  # fmt: skip
        self.start = start
        self._jobs, self._client, self._speaker = jobs, client, speaker
        self._settings, self._pipeline, self._vad, self._emit = settings, pipeline, vad, emit
        self._started = time.monotonic()
        self._decoder = StreamDecoder(start.audio_format, start.sample_rate)
        self._slicer = FrameSlicer(start.sample_rate)
        self._endpointer = Endpointer(EndpointRules(
            threshold=settings.speech_threshold, min_speech=frames(settings.min_speech_ms),
            min_silence=frames(settings.min_silence_ms),
            max_frames=frames(settings.max_segment_s * 1000),
        ))  # fmt: skip
        self._pad = round(settings.pad_ms / FRAME_MS)
        local = start.route != "cloud"  # partial decodes run here only
        self._rules = DecodeRules(
            interval=frames(settings.partial_interval_ms) if start.partials and local else None,
            early_final=(frames(settings.early_final_ms) if settings.early_final_ms is not None
                         and local else None),
        )  # fmt: skip
        self._pcm = bytearray()
        self._pcm_first = 0
        """The input sample that _pcm[0:2] holds."""
        self._order = UtteranceOrder(emit)
        self._current: _Utterance | None = None
        self._count = 0
        self._jobs_running: set[asyncio.Task[None]] = set()
        self._decodes: set[asyncio.Task[Transcript | None]] = set()

    @property
    def vad_name(self) -> str:
        return self._vad.name

    # ----- input

    async def feed(self, data: bytes) -> None:
        pcm, probabilities = await asyncio.to_thread(self._hear, data)
        self._pcm += pcm
        for probability in probabilities:
            for endpoint in self._endpointer.push(probability):
                await self._endpoint(endpoint)
            self._maybe_decode()
        self._trim()

    def _hear(self, data: bytes) -> tuple[bytes, list[float]]:
        """Decoding (Opus) and each whole frame's speech probability: signal work, done in a
        worker thread so that other streams and requests do not wait behind it. Frames are
        fed one call at a time, so the decoder and the detector keep their state in order."""
        pcm = self._decoder.decode(data)
        return pcm, [self._vad.probability(frame) for frame in self._slicer.feed(pcm)]

    async def end(self) -> None:
        """End of input: the utterance in progress ends; every job is answered; `done`."""
        for endpoint in self._endpointer.finish():
            await self._endpoint(endpoint)
        while self._jobs_running:
            await asyncio.gather(*self._jobs_running, return_exceptions=True)
        await self._emit(StreamDoneEvent(at_ms=self._now_ms(), utterances=self._count))

    async def close(self) -> None:
        tasks = [*self._decodes, *self._jobs_running]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ----- endpoints

    async def _endpoint(self, endpoint: SpeechStarted | SpeechEnded) -> None:
        if isinstance(endpoint, SpeechStarted):
            number = self._count
            self._count += 1
            index = self._jobs.reserve_index(self.start.session_id)
            self._current = _Utterance(number, index, endpoint.frame, decoded_at=endpoint.frame)
            await self._tell_vad("speech_start", endpoint.frame, None)
            return
        utterance = self._current
        assert utterance is not None
        self._current = None
        await self._tell_vad("speech_end", endpoint.frame + 1, endpoint.reason, utterance)
        received = self._received_frames()
        audio = self._audio(utterance.start - self._pad, min(endpoint.frame + 1 + self._pad,
                                                             received))  # fmt: skip
        decode = utterance.decode
        early = decode if decode is not None and decode.heard_to > endpoint.frame else None
        if len(self._jobs_running) >= self._settings.max_pending_utterances:
            await self._order.push(utterance.number, self._error(
                utterance.index, "OVERLOADED", "the node is behind: this utterance is dropped"
            ))  # fmt: skip
            await self._order.finish(utterance.number)
            return
        task = asyncio.create_task(self._job(utterance, audio, early))
        self._jobs_running.add(task)
        task.add_done_callback(self._jobs_running.discard)

    async def _job(self, utterance: _Utterance, audio: bytes, early: _Decode | None) -> None:
        start = self.start
        request = JobRequest(
            session_id=start.session_id, utterance_index=utterance.index,
            src_lang=start.src_lang, tgt_lang=start.tgt_lang,
            audio=base64.b64encode(audio).decode(), audio_format=AudioFormat.PCM16,
            sample_rate=start.sample_rate, want_repair=start.want_repair,
            want_audio=start.want_audio, output_format=start.output_format, route=start.route,
        )  # fmt: skip

        async def transcript(asked: TranscribeRequest) -> Transcript | None:
            return await _usable(early, asked)

        emit = self._order.emitter(utterance.number)
        hooks = JobStream(emit, speaker=self._speaker if start.pipelined else None,
                          early=transcript, started=self._started)  # fmt: skip
        try:
            result = await self._jobs.run(request, on_asr=hooks.heard, stream=hooks)
            await hooks.tell(UtteranceResultEvent(result=result.model_copy(update={"audio": None})),
                             result)  # fmt: skip
        except VoxnodeError as exc:
            await emit(self._error(utterance.index, exc.code, exc.message, exc))
        except Exception as exc:  # a bug must not end an utterance without a word
            log.exception("stream utterance %s failed", utterance.index)
            await emit(self._error(utterance.index, "INTERNAL_ERROR", str(exc)))
        finally:
            await self._order.finish(utterance.number)

    # ----- partial decodes

    def _maybe_decode(self) -> None:
        utterance, endpointer = self._current, self._endpointer
        if utterance is None:
            return
        decode = utterance.decode
        state = DecodeState(
            in_speech=True, in_flight=decode is not None and not decode.task.done(),
            frames_since_decode=endpointer.frames - utterance.decoded_at,
            silent_frames=endpointer.silent_frames,
            unheard_speech=decode is None or endpointer.last_voiced >= decode.heard_to,
        )  # fmt: skip
        kind = next_decode(state, self._rules)
        if kind is None:
            return
        heard_to = endpointer.frames
        audio = self._audio(utterance.start - self._pad, heard_to)
        task = asyncio.create_task(self._decode(utterance, audio, heard_to, kind))
        utterance.decode, utterance.decoded_at = _Decode(task, heard_to), heard_to
        self._decodes.add(task)
        task.add_done_callback(self._decodes.discard)

    async def _decode(
        self, utterance: _Utterance, audio: bytes, heard_to: int, kind: DecodeKind
    ) -> Transcript | None:
        language = None if self.start.src_lang == "auto" else self.start.src_lang
        request = TranscribeRequest(
            audio=base64.b64encode(audio).decode(), audio_format=AudioFormat.PCM16,
            sample_rate=self.start.sample_rate, language=language,
        )  # fmt: skip
        deadline = time.monotonic() + self._pipeline.asr_timeout_ms / 1000
        try:
            reply = await self._client.call(
                ServiceType.ASR, [language] if language else [], request, TranscribeResponse,
                deadline=deadline,
            )  # fmt: skip
        except VoxnodeError:
            return None  # a partial is a preview: the job's own ASR decides
        if self._current is utterance and self.start.partials:  # still being spoken
            view = utterance.agreement.update(reply.body.text)
            await self._emit(AsrPartialEvent(
                at_ms=self._now_ms(), utterance_index=utterance.index, committed=view.committed,
                tentative=view.tentative, audio_ms=(heard_to - utterance.start) * FRAME_MS,
            ))  # fmt: skip
        return reply

    # ----- audio bookkeeping

    def _sample_of(self, frame: int) -> int:
        return frame * FRAME_SAMPLES * self.start.sample_rate // VAD_RATE

    def _received_frames(self) -> int:
        return self._endpointer.frames

    def _audio(self, first_frame: int, end_frame: int) -> bytes:
        first = max(self._sample_of(max(first_frame, 0)) - self._pcm_first, 0)
        end = max(self._sample_of(end_frame) - self._pcm_first, first)
        return bytes(self._pcm[first * 2 : end * 2])

    def _trim(self) -> None:
        """Keep the audio an utterance may still need (its start, or the padding before the
        next one)."""
        utterance = self._current
        keep_from = utterance.start if utterance is not None else self._endpointer.frames
        keep_from -= self._pad + self._endpointer_lookback()
        drop = self._sample_of(max(keep_from, 0)) - self._pcm_first
        if drop > 0:
            del self._pcm[: drop * 2]
            self._pcm_first += drop

    def _endpointer_lookback(self) -> int:
        """An utterance is dated back to the first of its min_speech frames."""
        return round(self._settings.min_speech_ms / FRAME_MS) + 1

    # ----- events

    def _now_ms(self) -> float:
        return round((time.monotonic() - self._started) * 1000, 1)

    async def _tell_vad(
        self, what: str, frame: int, reason: str | None, utterance: _Utterance | None = None
    ) -> None:
        utterance = utterance or self._current
        await self._emit(VadEvent.model_validate({
            "at_ms": self._now_ms(), "utterance_index": utterance.index if utterance else None,
            "event": what, "audio_ms": frame * FRAME_MS, "reason": reason,
        }))  # fmt: skip

    def _error(
        self, index: int | None, code: str, message: str, exc: VoxnodeError | None = None
    ) -> StreamErrorEvent:
        category = getattr(exc, "category", None)
        return StreamErrorEvent(
            at_ms=self._now_ms(), utterance_index=index, code=code, message=message,
            category=str(category.value) if category is not None else "transient",
        )  # fmt: skip


async def _usable(early: _Decode | None, asked: TranscribeRequest) -> Transcript | None:
    """The early final, when it heard everything and answers what the job asks."""
    if early is None:
        return None
    try:
        reply = await asyncio.shield(early.task)
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if early.task.cancelled() and not (current and current.cancelling()):
            return None  # the decode was stopped, not this job
        raise
    return usable_transcript(reply, asked)
