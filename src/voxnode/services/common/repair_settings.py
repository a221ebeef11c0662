"""Settings every repair service reads from its environment (VOXNODE_REPAIR_*)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RepairServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VOXNODE_REPAIR_", env_nested_delimiter="__", extra="ignore"
    )

    deadline_ms: int = Field(2000, gt=0)
    """A request without its own deadline gets this one; past it the answer is PASS/TIMEOUT."""
    reject_enabled: bool = False
    glossary: str = ""
    """Protected terms, comma separated; they never change."""
    glossary_file: Path | None = None
    """One protected term per line (# comments)."""
    max_concurrency: int = Field(1, ge=1)

    def glossary_terms(self) -> list[str]:
        terms = [t.strip() for t in self.glossary.split(",") if t.strip()]
        if self.glossary_file is not None and self.glossary_file.is_file():
            for line in self.glossary_file.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    terms.append(line)
        return terms
