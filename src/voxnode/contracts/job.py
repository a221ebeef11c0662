"""POST /v1/jobs: one utterance in (audio or text), one JobResult out (seed 001 sections 4-5)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from voxnode.contracts.languages import language_code
from voxnode.contracts.speech import AudioFormat


class JobRequest(BaseModel):
    job_id: str | None = Field(None, min_length=1, max_length=128)
    """None: the node makes one. A job_id seen in the last 30 s gets the first result again."""
    session_id: str = Field("default", min_length=1, max_length=128)
    utterance_index: int | None = Field(None, ge=0)
    """None: the session's next. Results of one session come back in this order."""
    src_lang: str = Field(min_length=2)
    """A code, or "auto" (audio only): the ASR's detected language is used."""
    tgt_lang: str = Field(min_length=2)
    """A code, or "auto" with `lang_pair`: the pair's other language than the one heard."""
    lang_pair: tuple[str, str] | None = None
    """Two-way conversation (lingua's two_way_auto with lang_a, lang_b): speech in either
    language is translated into the other one."""
    audio: str | None = None
    """Base64 audio; or give text."""
    audio_format: AudioFormat = AudioFormat.WAV
    sample_rate: int = Field(16000, ge=8000, le=192000)
    text: str | None = Field(None, max_length=4000)
    want_repair: bool = True
    """Semantic repair of the ASR text (off: the text goes to translation as heard)."""
    want_translation: bool = True
    """Off: the job stops after repair (ASR only; lingua's `use_nmt: false`)."""
    want_audio: bool = True
    """Synthesize the translation."""
    context_text: str | None = Field(None, max_length=2000)
    """What was said before, for the translator; None: the session's previous utterance."""
    output_format: AudioFormat = AudioFormat.WAV
    route: Literal["local", "cloud", "auto"] | None = None
    """Where ASR, translation and TTS run: this machine, the cloud, or the rules; kept as
    the session's preference for its later jobs. None: the session's, else the config's."""
    manual_cut: bool = True
    """False: the client cut on a pause it is unsure of; a short, unfinished fragment may be
    held and merged into the session's next utterance (lingua1 6.2)."""
    stream: bool = False
    """POST /v1/jobs: answer server-sent events as the stages produce them (contract 6's
    stream events: asr_final, repair, translation pieces, audio pieces, then the result)
    instead of one JobResult. The translation streams and each clause is spoken while the
    next is being translated."""

    @model_validator(mode="after")
    def _one_input(self) -> JobRequest:
        if (self.audio is None) == (self.text is None):
            raise ValueError("give exactly one of audio or text")
        if self.text is not None and self.src_lang == "auto":
            raise ValueError("src_lang 'auto' needs audio")
        if self.tgt_lang == "auto" and self.lang_pair is None:
            raise ValueError("tgt_lang 'auto' needs lang_pair (two-way conversation)")
        return self

    def target_for(self, heard: str) -> str:
        """The language to translate `heard` into (a two-way pair picks the other one)."""
        if self.lang_pair is None or self.tgt_lang != "auto":
            return language_code(self.tgt_lang)
        first, second = (language_code(x) for x in self.lang_pair)
        return second if language_code(heard) == first else first


class JobStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    """A later stage failed; the texts that were made are in the result."""
    REJECTED = "rejected"
    """Repair judged the text garbage (REJECT): no translation."""
    MERGED = "merged"
    """Held and merged into the session's next utterance: nothing to show for this one."""
    FAILED = "failed"
    """No text at all (ASR failed)."""


class Stage(StrEnum):
    ASR = "asr"
    AGGREGATION = "aggregation"
    REPAIR = "repair"
    NMT = "nmt"
    DEDUP = "dedup"
    TTS = "tts"


class StageTimings(BaseModel):
    asr_ms: float = 0.0
    repair_ms: float = 0.0
    nmt_ms: float = 0.0
    tts_ms: float = 0.0
    total_ms: float = 0.0


class Degradation(BaseModel):
    stage: Stage
    code: str
    message: str


class JobResult(BaseModel):
    job_id: str
    session_id: str
    utterance_index: int
    status: JobStatus
    src_lang: str
    tgt_lang: str
    text_asr: str = ""
    text_repaired: str = ""
    text_translated: str = ""
    repair_decision: str | None = None
    audio: str | None = None
    """Base64 of the synthesized translation, in audio_format at sample_rate."""
    audio_format: AudioFormat | None = None
    sample_rate: int | None = None
    audio_duration_s: float | None = None
    asr_language_probability: float | None = None
    quality_score: float | None = None
    """The ASR's confidence (0-1)."""
    translation_quality: float | None = None
    """The translator's estimate of its translation (0-1); low-confidence ones also carry
    the reason code TRANSLATION_LOW_CONFIDENCE."""
    timings: StageTimings = StageTimings()
    service_times_ms: dict[str, float] = {}
    """Per stage, the time the service itself reported (orchestrator overhead = the rest)."""
    services: dict[str, str] = {}
    """Per stage, the service that answered."""
    reason_codes: list[str] = []
    routes: dict[str, str] = {}
    """Per stage that ran: "local" or "cloud"."""
    route_reasons: dict[str, str] = {}
    """Per stage: why it went that way (MODE_LOCAL, LONG_CONTEXT, LOW_QUALITY, FAILOVER...)."""
    degraded: list[Degradation] = []
    duplicate: bool = False
    """This job_id was seen in the last 30 s: the first result, not a second run."""
