"""A job that tells its listener as it goes: the orchestrator calls these hooks between its
stages (contract 6's events: asr_final, repair, translation pieces, audio pieces), and, with
a `speaker`, lets the translation stream and each clause be spoken while the next one is
being translated. Without a speaker (or when streaming is not possible: a cloud route, a
translator without a stream) the whole translation and its whole audio go as piece 0.

The events are stamped here (`at_ms` from `clock`, the job's utterance index) and handed to
`emit`; what comes before the orchestrator's ASR (a transcript the stream already made) is
`early`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel

from voxnode.contracts.job import JobRequest, JobResult
from voxnode.contracts.speech import TranscribeRequest, TranscribeResponse
from voxnode.contracts.stream_messages import (
    AsrFinalEvent,
    AudioEvent,
    RepairEvent,
    TranslationDoneEvent,
    TranslationEvent,
)
from voxnode.pipeline.service_replies import Reply
from voxnode.routing.route_rules import Override

if TYPE_CHECKING:
    from voxnode.pipeline.streamed_translation import StreamedTranslation

Emit = Callable[[BaseModel], Awaitable[None]]
"""Hands a stamped stream event to the listener."""
Early = Callable[[TranscribeRequest], Awaitable[Reply[TranscribeResponse] | None]]


def usable_transcript(
    reply: Reply[TranscribeResponse] | None, asked: TranscribeRequest
) -> Reply[TranscribeResponse] | None:
    """A transcript made before the job answers what the job asks, unless the job wants an
    N-best of a transcript under a quality threshold (English repair judges by it; made only
    by the job's own decode). An N-best wanted for every sentence (Chinese repair's extra
    candidates) is not worth decoding again what the stream has already heard."""
    if reply is None:
        return None
    below = asked.nbest_below_quality
    if asked.nbest and below < 1.0 and reply.body.quality_score < below:
        return None
    return reply


class JobStream:
    def __init__(
        self, emit: Emit, *, speaker: StreamedTranslation | None = None,
        early: Early | None = None, started: float | None = None,
    ):  # fmt: skip
        self._emit = emit
        self._speaker = speaker
        self._early = early
        self._started = time.monotonic() if started is None else started

    async def tell(self, event: BaseModel, result: JobResult) -> None:
        at_ms = round((time.monotonic() - self._started) * 1000, 1)
        await self._emit(
            event.model_copy(update={"at_ms": at_ms, "utterance_index": result.utterance_index})
        )

    async def transcribed(self, request: TranscribeRequest) -> Reply[TranscribeResponse] | None:
        """A transcript of this job's audio made before the job (the stream's decode that
        already heard all of it), or None: the orchestrator asks the ASR."""
        return await self._early(request) if self._early is not None else None

    async def heard(self, result: JobResult) -> None:
        await self.tell(
            AsrFinalEvent(
                text=result.text_asr, language=result.src_lang, quality_score=result.quality_score
            ),
            result,
        )

    async def repaired(self, result: JobResult) -> None:
        await self.tell(
            RepairEvent(decision=result.repair_decision or "PASS", text=result.text_repaired),
            result,
        )

    async def translate_and_speak(
        self, result: JobResult, request: JobRequest, previous: tuple[str, str | None],
        override: Override | None,
    ) -> bool:  # fmt: skip
        """True: translated (and spoken) piece by piece, `result` filled in; False: nothing
        was said, the orchestrator's one-result path translates."""
        if self._speaker is None:
            return False
        return await self._speaker.run(self, result, request, previous, override)

    async def spoke_whole(self, result: JobResult) -> None:
        """The one-result path's translation and audio, as piece 0."""
        if result.text_translated:
            await self.tell(TranslationEvent(index=0, text=result.text_translated), result)
        await self.tell(
            TranslationDoneEvent(
                text=result.text_translated, quality=result.translation_quality,
                low_confidence="TRANSLATION_LOW_CONFIDENCE" in result.reason_codes,
                issues=[c.removeprefix("TRANSLATION_") for c in result.reason_codes
                        if c.startswith("TRANSLATION_") and c != "TRANSLATION_LOW_CONFIDENCE"],
            ),
            result,
        )  # fmt: skip
        if result.audio and result.audio_format is not None:
            await self.tell(
                AudioEvent(
                    index=0, text=result.text_translated, audio=result.audio,
                    format=result.audio_format, sample_rate=result.sample_rate,
                    duration_s=result.audio_duration_s,
                ),
                result,
            )  # fmt: skip
