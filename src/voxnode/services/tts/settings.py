"""TTS service settings (VOXNODE_TTS_*)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TtsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXNODE_TTS_", extra="ignore")

    engine: Literal["hibari", "espeak"] = "hibari"
    """hibari: neural English (Apache-2.0, in process); espeak: the espeak-ng program (any
    language it has, robotic; the fallback)."""
    voice: str | None = None
    """hibari: a voice name shipped in the package ("heart"); espeak: a voice ("en-us")."""
    threads: int = Field(1, ge=1)
    max_concurrency: int = Field(1, ge=1)
    deadline_ms: int = Field(30000, gt=0)
