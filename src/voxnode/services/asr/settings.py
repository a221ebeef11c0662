"""ASR service settings (VOXNODE_ASR_*): which Whisper, on which device, how to decode."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from voxnode.contracts.languages import language_code


class AsrSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXNODE_ASR_", extra="ignore")

    model: str = "whisper-base-ct2"
    """A catalog id (pulled into the node's models folder), or see model_dir."""
    model_dir: Path | None = None
    """A CTranslate2 Whisper folder to use as it is (no pull)."""
    languages: str = ""
    """Comma-separated codes this instance accepts; empty: whatever the model knows."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = "auto"
    """auto: int8 on CPU, float16 on CUDA (int8_float16 also works there)."""
    cpu_threads: int = Field(0, ge=0)
    """0: every core."""
    beam_size: int | None = Field(None, ge=1, le=10)
    """None: 1 on CPU (latency), 5 on CUDA."""
    vad: bool = True
    """Silero VAD (the model inside faster-whisper) drops silence before decoding."""
    fitted_window_max_s: float = Field(20.0, ge=0, le=30)
    """Utterances up to this long are decoded in a window of their own length (plus
    fitted_window_pad_s) instead of Whisper's 30 s, 3-4x faster on short ones
    (bench/asr_context.py); 0: always the 30 s window."""
    fitted_window_pad_s: float = Field(1.0, ge=0, le=10)
    fitted_window_min_s: float = Field(10.0, ge=0, le=30)
    zh_prompt: str = ""
    """Initial prompt for Chinese (e.g. "以下是普通话的句子。"). Off by default: on our
    samples it cost words under greedy decoding; OpenCC t2s gives simplified script anyway."""
    max_seconds: float = Field(120.0, gt=0)
    deadline_ms: int = Field(60000, gt=0)
    max_concurrency: int = Field(1, ge=1)

    def language_set(self) -> set[str]:
        return {language_code(code) for code in self.languages.split(",") if code.strip()}
