"""Model host settings (VOXNODE_LLM_*). The idle TTL, the memory reserve and the budget are
the node's `[models]` settings, which the supervisor passes as VOXNODE_MODELS__*."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LlmHostSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXNODE_LLM_", extra="ignore")

    default_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    """The model a request gets when it names none (or "default"); loaded at start-up."""
    engine: str = "llama-server"
    """How it generates: llama-server (Plan B: parallel slots, continuous batching), then
    the seed's fallbacks (auto: llama-cpp, llama-server, exllamav2), or one by name."""
    score_engine: str = "auto"
    """How /v1/score computes log-likelihoods. auto: llama-cpp in this process on a CPU (one
    batched pass per text; llama-server can only score by generating each token), the
    generating engine where there is a GPU. Both map the same weights (no repacking)."""
    parallel: int = Field(4, ge=1, le=64)
    """llama-server slots: requests decoded together."""
    n_ctx: int = Field(4096, ge=512)
    """Context per slot."""
    n_threads: int | None = Field(None, ge=1)
    gpu_layers: int | None = None
    """None: all layers when the build can offload, else 0."""
    max_concurrency: int = Field(16, ge=1)
    """Requests the host takes at once (the rest wait for their deadline)."""
    deadline_ms: int = Field(300_000, gt=0)
    """A request without its own deadline gets this one."""
