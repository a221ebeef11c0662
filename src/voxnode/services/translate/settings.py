"""Translation service settings (VOXNODE_NMT_*)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from voxnode.contracts.languages import language_code


class NmtSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXNODE_NMT_", extra="ignore")

    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    engine: str = "node"
    """node: the model the node hosts (llm-local), so one copy serves translation, repair
    and chat. Standalone: auto | llama-cpp | llama-server | exllamav2 (seed 000 section 6)
    load this service's own copy."""
    n_threads: int | None = None
    n_ctx: int = Field(2048, ge=512)
    languages: str = "en,zh"
    """The languages this instance translates between (any pair of them)."""
    prompts: str = "examples,plain"
    """The prompts asked in turn (services/translate/prompts.py): the next only when the
    guards found a problem with the last answer."""
    use_context: bool = False
    """Put the session's previous sentence and its translation (context_text,
    context_translation) into the prompt. Off by default: those tokens are new to the
    engine's prompt cache on every request: on 2 CPU cores, bench/stream_latency.py's first
    translation piece came 0.2-1.1 s later with them (README, "Speech pipeline"); what they
    add to quality has not been measured (the dev sets are independent sentences)."""
    back_translate: Literal["auto", "on", "off"] = "auto"
    """Ask every prompt and keep the answer that makes the source likeliest translated back
    (LlmTranslator), for `back_translate_share` of the sentences. auto: on where there is an
    NVIDIA GPU; on 2 CPU cores it costs a second answer and two scorings per sentence
    back-translated: p50 3.1-4.5x the plain prompt's for all, 1.3-2.8x for a third (README,
    "Measuring translation")."""
    back_translate_share: float = Field(1.0, ge=0, le=1)
    """The share of each direction's sentences back-translated when it is on: those whose
    first answer's quality estimate ranks lowest among the direction's last 100 (1: all,
    their prompts asked at once)."""
    low_quality: float = Field(0.35, ge=0, le=1)
    """Under this quality estimate a translation is marked low-confidence."""
    deadline_ms: int = Field(30000, gt=0)
    max_concurrency: int = Field(1, ge=1)

    def prompt_list(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.prompts.split(",") if name.strip())

    def language_list(self) -> list[str]:
        return [language_code(code) for code in self.languages.split(",") if code.strip()]
