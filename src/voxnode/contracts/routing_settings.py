"""Hybrid routing's settings (seed 003 decision 4, seed 002 section 6.2): cloud backends and,
per stage, whether work stays on this machine, goes to the cloud first, or is decided by
rules. The default is `local` everywhere: nothing leaves the machine unless configured."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class RouteStage(StrEnum):
    LLM = "llm"
    """Chat and completions (the OpenAI face), retrieval chat included."""
    NMT = "nmt"
    """Translation: a cloud translates through its chat completions."""
    ASR = "asr"
    """/v1/audio/transcriptions."""
    TTS = "tts"
    """/v1/audio/speech."""


class CloudBackend(BaseModel):
    """Any OpenAI-compatible endpoint."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    base_url: str = Field(pattern=r"^https?://")
    """Up to and including the API's version, e.g. https://api.example.com/v1."""
    model: str = "default"
    """The model asked for; per stage below when one endpoint serves several."""
    models: dict[RouteStage, str] = {}
    api_key: SecretStr | None = None
    """Never logged or shown; prefer api_key_env."""
    api_key_env: str | None = None
    """An environment variable holding the key (read when a request is sent)."""
    stages: list[RouteStage] = [RouteStage.LLM, RouteStage.NMT]
    languages: list[str] = []
    """What it serves for ASR, translation and TTS; empty: any language."""
    voice: str = "alloy"
    first_token_timeout_s: float = Field(5.0, gt=0)
    """A stream (or answer) that has not started within this moves on: a stalled cloud must
    not hang a job."""
    cooldown_s: float = Field(30.0, ge=0)

    def model_for(self, stage: RouteStage) -> str:
        return self.models.get(stage, self.model)

    def key(self) -> str | None:
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class StageRouting(BaseModel):
    mode: Literal["local", "api", "hybrid"] = "local"
    """local: the cloud is never contacted (no connection is opened); api: the cloud first,
    this machine as fallback when `fallback`; hybrid: the rules below decide."""
    fallback: bool = True
    """When the first way fails, try the other (never out of `local`)."""
    long_context_tokens: int | None = Field(None, gt=0)
    """hybrid, llm: a chat longer than this (estimated tokens) goes to the cloud."""
    quality_under: float | None = Field(None, ge=0, le=1)
    """hybrid, nmt: a local translation whose quality estimate is under this is translated
    again in the cloud (the cloud is used exactly where the local model is weak)."""
    when_missing: bool = True
    """hybrid: a request no local service can take (a stage or language not installed)
    goes to the cloud."""


class RoutingSettings(BaseModel):
    cloud: list[CloudBackend] = []
    llm: StageRouting = StageRouting()
    nmt: StageRouting = StageRouting()
    asr: StageRouting = StageRouting()
    tts: StageRouting = StageRouting()

    def stage(self, stage: RouteStage) -> StageRouting:
        by_stage: dict[RouteStage, StageRouting] = {
            RouteStage.LLM: self.llm, RouteStage.NMT: self.nmt, RouteStage.ASR: self.asr,
            RouteStage.TTS: self.tts,
        }  # fmt: skip
        return by_stage[stage]
