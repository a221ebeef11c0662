"""Contract 6's stream: WS /v1/stream messages, and the events POST /v1/jobs streams (SSE)
when a job asks for `stream: true`. JSON, tagged by `type`.

Client -> node: `start` (once, first), then audio as binary WebSocket frames (PCM16 little
endian mono at `sample_rate`, or one Opus packet a frame, lingua's raw packets also
length-prefixed) or as `audio` messages (base64), then `end` (end of input: the last
utterance is finished and answered, then `done`) or `cancel` (everything in flight stops).

Node -> client: every event carries `at_ms` (milliseconds since the stream's `start` on the
node's clock) and, when it belongs to one, the `utterance_index`. `vad` and `asr_partial`
follow the speaker; the rest of an utterance's events (asr_final, repair, translation,
audio, result) leave in utterance order, each utterance's after the one before it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from voxnode.contracts.job import JobResult
from voxnode.contracts.speech import AudioFormat

# ----- client -> node


class _ClientMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")


class StreamStart(_ClientMessage):
    type: Literal["start"] = "start"
    src_lang: str = Field(min_length=2)
    """A code (the VAD cuts utterances; the ASR is told this language)."""
    tgt_lang: str = Field(min_length=2)
    session_id: str = Field(
        default_factory=lambda: f"stream-{uuid.uuid4().hex[:12]}", min_length=1, max_length=128
    )
    """The pipeline session (translation context, dedup, utterance order); by default one
    of this stream's own."""
    audio_format: Literal["pcm16", "opus"] = "pcm16"
    sample_rate: int = Field(16000, ge=8000, le=48000)
    """Of the PCM16 frames; Opus frames decode at this rate (8, 12, 16, 24 or 48 kHz)."""
    output_format: AudioFormat = AudioFormat.PCM16
    """The format of the `audio` pieces."""
    want_repair: bool = True
    want_audio: bool = True
    partials: bool = True
    """asr_partial events while the speaker talks (each costs an ASR decode)."""
    pipelined: bool = True
    """True: the translation streams and each clause is spoken while the next is being
    translated. False: the one-result job per utterance (whole translation, then its whole
    speech as one audio piece), for comparison."""
    route: Literal["local", "cloud", "auto"] | None = None


class StreamAudio(_ClientMessage):
    type: Literal["audio"] = "audio"
    data: str = Field(min_length=1)
    """Base64 of audio bytes, as a binary frame would carry them."""


class StreamEnd(_ClientMessage):
    type: Literal["end"] = "end"
    """End of input: the utterance being spoken ends here."""


class StreamCancel(_ClientMessage):
    type: Literal["cancel"] = "cancel"


ClientMessage = Annotated[
    StreamStart | StreamAudio | StreamEnd | StreamCancel, Field(discriminator="type")
]
client_message: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)

# ----- node -> client


class _Event(BaseModel):
    at_ms: float = Field(0.0, ge=0)
    """Milliseconds since the stream (or the streamed job) began, on the node's clock."""
    utterance_index: int | None = Field(None, ge=0)


class StreamReady(_Event):
    type: Literal["ready"] = "ready"
    session_id: str
    vad: str
    """The voice activity detector in use: silero or energy."""


class VadEvent(_Event):
    type: Literal["vad"] = "vad"
    event: Literal["speech_start", "speech_end"]
    audio_ms: float = Field(ge=0)
    """Where in the input audio (start: the first voiced frame; end: the last one)."""
    reason: Literal["silence", "max_length", "end_of_input"] | None = None
    """speech_end only: why the utterance ended."""


class AsrPartialEvent(_Event):
    type: Literal["asr_partial"] = "asr_partial"
    committed: str
    """Agreed by two decodes in a row: it only grows within an utterance."""
    tentative: str = ""
    """The rest of the latest hypothesis (may still change)."""
    audio_ms: float = Field(ge=0)
    """How much of the utterance the hypothesis heard."""


class AsrFinalEvent(_Event):
    type: Literal["asr_final"] = "asr_final"
    text: str
    language: str
    quality_score: float | None = None


class RepairEvent(_Event):
    type: Literal["repair"] = "repair"
    decision: str
    text: str


class TranslationEvent(_Event):
    type: Literal["translation"] = "translation"
    index: int = Field(ge=0)
    """The piece's place in the utterance's translation (0, 1, ...)."""
    text: str


class TranslationDoneEvent(_Event):
    type: Literal["translation_done"] = "translation_done"
    text: str
    """The whole translation: exactly its pieces, joined."""
    quality: float | None = None
    low_confidence: bool = False
    issues: list[str] = []


class AudioEvent(_Event):
    type: Literal["audio"] = "audio"
    index: int = Field(ge=0)
    """The translation piece this audio speaks (pieces leave in order, none twice)."""
    text: str
    audio: str
    """Base64 of the piece's audio in `format`."""
    format: AudioFormat
    sample_rate: int | None = None
    duration_s: float | None = None


class UtteranceResultEvent(_Event):
    type: Literal["result"] = "result"
    result: JobResult
    """The utterance's JobResult (its audio left out: it went as the audio pieces)."""


class StreamErrorEvent(_Event):
    type: Literal["error"] = "error"
    code: str
    category: str
    message: str


class StreamDoneEvent(_Event):
    type: Literal["done"] = "done"
    """After `end`: every utterance has been answered."""
    utterances: int = Field(0, ge=0)


StreamEvent = Annotated[
    StreamReady | VadEvent | AsrPartialEvent | AsrFinalEvent | RepairEvent | TranslationEvent
    | TranslationDoneEvent | AudioEvent | UtteranceResultEvent | StreamErrorEvent
    | StreamDoneEvent,
    Field(discriminator="type"),
]  # fmt: skip
stream_event: TypeAdapter[StreamEvent] = TypeAdapter(StreamEvent)
