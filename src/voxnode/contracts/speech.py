"""Contract 2's type endpoints for speech: ASR, translation and TTS requests and answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field

from voxnode.contracts.service_request import ServiceRequest


class AudioFormat(StrEnum):
    PCM16 = "pcm16"
    """Raw signed 16-bit little-endian mono samples at `sample_rate`."""
    WAV = "wav"
    MULAW = "mulaw"
    """G.711 mu-law bytes at `sample_rate` (8000 for RTP, seed 002 section 2.2)."""
    OPUS = "opus"
    """Ogg Opus (or WebM Opus) bytes; the rate is read from the stream."""


class TranscribeRequest(ServiceRequest):
    endpoint: ClassVar[str] = "/v1/transcribe"
    audio: str = Field(min_length=1)
    """Base64 of the audio bytes."""
    audio_format: AudioFormat = AudioFormat.PCM16
    sample_rate: int = Field(16000, ge=8000, le=192000)
    """For pcm16 and mulaw; wav and opus carry their own."""
    language: str | None = None
    """None or "auto": detected."""
    nbest: int = Field(0, ge=0, le=10)
    """Also this many alternative transcripts (beam search over the whole utterance, up to
    30 s), for the repair judge; 0: none."""
    nbest_below_quality: float = Field(1.0, ge=0.0, le=1.0)
    """...only when the first transcript's quality_score is under this (it costs a second
    decode; a confident utterance needs no alternatives)."""


class Segment(BaseModel):
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float


class Hypothesis(BaseModel):
    text: str
    score: float
    """The decoder's length-normalised log-probability (higher is likelier)."""


class TranscribeResponse(BaseModel):
    text: str
    language: str
    language_probability: float
    segments: list[Segment] = []
    duration: float
    """Seconds of audio received."""
    quality_score: float = Field(ge=0.0, le=1.0)
    """exp(mean token log-probability) over the kept segments: the repair trigger reads it."""
    nbest: list[Hypothesis] = []
    """When asked for: distinct alternatives (by their words), likeliest first."""
    process_time_ms: float = 0.0


class TranslateRequest(ServiceRequest):
    endpoint: ClassVar[str] = "/v1/translate"
    text: str = Field(min_length=1, max_length=4000)
    src_lang: str = Field(min_length=2)
    tgt_lang: str = Field(min_length=2)
    context_text: str | None = Field(None, max_length=2000)
    """The session's previous sentence: helps pronouns and terms, never translated itself."""
    context_translation: str | None = Field(None, max_length=4000)
    """Its translation; with both, the translator shows the pair to the model as the turn
    before (without it the context is not used)."""


class TranslateResponse(BaseModel):
    text: str
    engine: str = ""
    process_time_ms: float = 0.0
    quality: float | None = Field(None, ge=0.0, le=1.0)
    """0-1: the model's confidence in its answer, less what the guards found."""
    low_confidence: bool = False
    """The guards found a problem that no attempt avoided, or the quality is low."""
    issues: list[str] = []
    """What the guards found in the answer given (NUMBER_CHANGED, NEGATION_DROPPED, ...)."""


class SynthesizeRequest(ServiceRequest):
    endpoint: ClassVar[str] = "/v1/synthesize"
    text: str = Field(min_length=1, max_length=2000)
    lang: str = Field(min_length=2)
    voice: str | None = None
    format: AudioFormat = AudioFormat.WAV
    sample_rate: int | None = Field(None, ge=8000, le=48000)
    """None: the voice's own rate (mulaw: 8000)."""


SAMPLE_RATE_HEADER = "X-Sample-Rate"
DURATION_HEADER = "X-Audio-Duration"
PROCESS_TIME_HEADER = "X-Process-Time-Ms"
"""/v1/synthesize answers audio bytes; these headers say their rate, their length in
seconds and the milliseconds the service spent making them."""


@dataclass(frozen=True, slots=True)
class SynthesizedAudio:
    """/v1/synthesize's answer as the node reads it: the bytes and what the headers say."""

    audio: bytes
    sample_rate: int | None
    duration_s: float | None
    process_time_ms: float | None

    @classmethod
    def from_http(cls, content: bytes, headers: Mapping[str, str]) -> SynthesizedAudio:
        rate, duration = headers.get(SAMPLE_RATE_HEADER), headers.get(DURATION_HEADER)
        took = headers.get(PROCESS_TIME_HEADER)
        return cls(
            audio=content, sample_rate=int(rate) if rate else None,
            duration_s=float(duration) if duration else None,
            process_time_ms=float(took) if took else None,
        )  # fmt: skip
