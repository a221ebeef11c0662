"""Contract 5: node <-> scheduler messages, JSON over WebSocket, tagged by `type`.

Field names and meanings follow the lingua scheduler (research/lingua1.md section 2.1) so
that this node can serve it. Incoming messages ignore fields they do not know; outgoing
ones carry VoxNode's additions (marked "VoxNode:") beside lingua's fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

PROTOCOL_VERSION = "2.0"
"""lingua's capability_schema_version."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ----- parts


class GpuInfo(BaseModel):
    name: str
    memory_gb: float


class Hardware(BaseModel):
    cpu_cores: int
    memory_gb: float
    gpus: list[GpuInfo] | None = None


class InstalledModel(BaseModel):
    model_id: str
    kind: str
    src_lang: str | None = None
    tgt_lang: str | None = None
    dialect: str | None = None
    version: str
    enabled: bool | None = None


class InstalledService(BaseModel):
    service_id: str
    type: str
    """lingua's asr | nmt | tts | tone | semantic | phonetic | punctuation, or llm / embedding."""
    device: Literal["gpu", "cpu"]
    status: Literal["running", "stopped", "error"]
    version: str | None = None
    model_id: str | None = None
    engine: str | None = None
    mem_mb: int | None = None
    warmup_ms: int | None = None
    last_error: str | None = None
    languages: list[str] = []
    """VoxNode: the languages the package declares."""


class CapabilityByType(BaseModel):
    type: str
    ready: bool
    reason: str | None = None
    """no_impl | no_running_impl (lingua also: gpu_impl_not_running, only_cpu_running)."""
    ready_impl_ids: list[str] | None = None


class LanguagePair(BaseModel):
    src: str
    tgt: str
    speech_out: bool
    """A ready TTS speaks `tgt`."""


class LanguageCapabilities(BaseModel):
    asr_languages: list[str] = []
    tts_languages: list[str] = []
    semantic_languages: list[str] = []
    """lingua builds its pools from asr_languages x semantic_languages, so this lists the
    languages this node can translate into from a language it hears."""
    semantic_core_ready: bool = False
    """A semantic repair service is ready."""
    repair_languages: list[str] = []
    """VoxNode: the languages a ready repair service repairs."""
    pairs: list[LanguagePair] = []
    """VoxNode: every (src, tgt) the ready services carry end to end."""


class FeaturesSupported(BaseModel):
    emotion_detection: bool | None = None
    voice_style_detection: bool | None = None
    speech_rate_detection: bool | None = None
    speech_rate_control: bool | None = None
    speaker_identification: bool | None = None
    persona_adaptation: bool | None = None


class ResourceUsage(BaseModel):
    cpu_percent: float
    gpu_percent: float | None = None
    gpu_mem_percent: float | None = None
    mem_percent: float
    running_jobs: int
    gpu_queue_length: int | None = None


class PipelineFlags(BaseModel):
    use_asr: bool = True
    use_nmt: bool = True
    use_tts: bool = True
    use_semantic: bool = True
    use_tone: bool = False


class ServiceTimings(BaseModel):
    asr_ms: float | None = None
    semantic_ms: float | None = None
    """VoxNode: the repair stage."""
    nmt_ms: float | None = None
    tts_ms: float | None = None
    total_ms: float | None = None


class ResultExtra(BaseModel):
    emotion: str | None = None
    speech_rate: float | None = None
    voice_style: str | None = None
    service_timings: ServiceTimings | None = None
    language_probability: float | None = None
    language_probabilities: dict[str, float] | None = None
    reason: str | None = None
    asr_quality_score: float | None = None
    """VoxNode: the ASR's confidence (quality_score carries the translation's when there is
    one, so that a scheduler can send weak translations elsewhere)."""


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = None


class SegmentsMeta(BaseModel):
    count: int
    max_gap: float
    avg_duration: float


# ----- node -> scheduler


class NodeRegister(_Message):
    type: Literal["node_register"] = "node_register"
    node_id: str | None = None
    version: str
    capability_schema_version: str = PROTOCOL_VERSION
    platform: Literal["windows", "linux", "macos"]
    hardware: Hardware
    installed_models: list[InstalledModel] = []
    installed_services: list[InstalledService] | None = None
    capability_by_type: list[CapabilityByType] = []
    features_supported: FeaturesSupported = FeaturesSupported()
    advanced_features: list[str] | None = None
    accept_public_jobs: bool = True
    language_capabilities: LanguageCapabilities | None = None


class NodeHeartbeat(_Message):
    type: Literal["node_heartbeat"] = "node_heartbeat"
    node_id: str
    timestamp: int
    """Milliseconds since the epoch."""
    resource_usage: ResourceUsage
    installed_models: list[InstalledModel] | None = None
    installed_services: list[InstalledService] = []
    capability_by_type: list[CapabilityByType] = []
    rerun_metrics: dict[str, int] | None = None
    processing_metrics: dict[str, Any] | None = None
    language_capabilities: LanguageCapabilities | None = None
    running_job_ids: list[str] = []
    """VoxNode: the jobs in flight."""
    draining: bool = False
    """VoxNode: takes no new jobs (node_control drain)."""


class JobAck(_Message):
    """lingua defines it (job_ack / job_started); its node never sends them. Ours sends
    job_ack when a job is accepted, so a scheduler can tell slow from lost."""

    type: Literal["job_ack", "job_started"] = "job_ack"
    job_id: str
    attempt_id: int = 1
    node_id: str
    session_id: str
    trace_id: str = ""


class JobResultMessage(_Message):
    type: Literal["job_result"] = "job_result"
    job_id: str
    attempt_id: int = 1
    node_id: str
    session_id: str
    utterance_index: int
    success: bool
    text_asr: str | None = None
    text_translated: str | None = None
    tts_audio: str | None = None
    tts_format: str | None = None
    extra: ResultExtra | None = None
    processing_time_ms: int | None = None
    error: ErrorInfo | None = None
    trace_id: str = ""
    group_id: str | None = None
    part_index: int | None = None
    node_completed_at_ms: int | None = None
    asr_quality_level: Literal["good", "suspect", "bad"] | None = None
    reason_codes: list[str] | None = None
    quality_score: float | None = None
    rerun_count: int | None = None
    segments_meta: SegmentsMeta | None = None
    text_repaired: str | None = None
    """VoxNode: the text after semantic repair (what was translated)."""
    src_lang: str | None = None
    """VoxNode: the language heard (the detected one when the job said "auto")."""
    tts_sample_rate: int | None = None
    """VoxNode."""
    degraded_stages: list[str] = []
    """VoxNode: the stages that failed while the job still answered."""


class AsrPartial(_Message):
    type: Literal["asr_partial"] = "asr_partial"
    job_id: str
    node_id: str
    session_id: str
    utterance_index: int
    text: str
    is_final: bool
    trace_id: str = ""


class NodeError(_Message):
    type: Literal["node_error"] = "node_error"
    node_id: str
    code: str
    message: str
    details: dict[str, Any] | None = None


# ----- scheduler -> node


class NodeRegisterAck(_Message):
    type: Literal["node_register_ack"] = "node_register_ack"
    node_id: str
    message: str = ""
    status: Literal["registering", "ready", "degraded", "draining", "offline"] = "registering"


class JobAssign(_Message):
    type: Literal["job_assign"] = "job_assign"
    job_id: str = Field(min_length=1, max_length=128)
    attempt_id: int = 1
    session_id: str = Field(min_length=1, max_length=128)
    utterance_index: int = Field(ge=0)
    src_lang: str
    tgt_lang: str
    dialect: str | None = None
    features: dict[str, Any] | None = None
    pipeline: PipelineFlags = PipelineFlags()
    audio: str
    """Base64."""
    audio_format: str = "pcm16"
    """opus | pcm16 (VoxNode also takes wav and mulaw)."""
    sample_rate: int = 16000
    mode: str | None = None
    lang_a: str | None = None
    lang_b: str | None = None
    auto_langs: list[str] | None = None
    enable_streaming_asr: bool | None = None
    partial_update_interval_ms: int | None = None
    trace_id: str = ""
    group_id: str | None = None
    part_index: int | None = None
    context_text: str | None = None
    padding_ms: int | None = None
    is_manual_cut: bool = True
    is_timeout_triggered: bool = False
    is_max_duration_triggered: bool = False
    turn_id: str | None = None


class JobCancel(_Message):
    type: Literal["job_cancel"] = "job_cancel"
    job_id: str
    trace_id: str | None = None
    reason: str | None = None


class NodeControl(_Message):
    type: Literal["node_control"] = "node_control"
    command: str
    """drain | resume (others are answered with node_error UNKNOWN_COMMAND)."""
    reason: str | None = None


NodeMessage = Annotated[
    NodeRegister | NodeHeartbeat | JobAck | JobResultMessage | AsrPartial | NodeError,
    Field(discriminator="type"),
]
SchedulerMessage = Annotated[
    NodeRegisterAck | JobAssign | JobCancel | NodeControl, Field(discriminator="type")
]
node_message = TypeAdapter(NodeMessage)
"""Parses what a node sends (the scheduler side uses it)."""
scheduler_message = TypeAdapter(SchedulerMessage)
"""Parses what a scheduler sends (the node side uses it)."""
