"""Contract 3: semantic repair request and response (seed 001)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Decision(StrEnum):
    PASS = "PASS"
    REPAIR = "REPAIR"
    REJECT = "REJECT"


class ReasonCode(StrEnum):
    """Reason codes the node itself adds; services add their own free-form codes."""

    SERVICE_NOT_AVAILABLE = "SERVICE_NOT_AVAILABLE"
    TIMEOUT = "TIMEOUT"
    SERVICE_ERROR = "SERVICE_ERROR"
    NOT_INSTALLED_OR_UNSUPPORTED_LANG = "SERVICE_NOT_INSTALLED_OR_UNSUPPORTED_LANG"


class RepairRequest(BaseModel):
    job_id: str = Field(min_length=1)
    session_id: str = Field(min_length=1)
    utterance_index: int = Field(0, ge=0)
    lang: str = Field(min_length=1)
    text_in: str
    quality_score: float | None = Field(None, ge=0.0, le=1.0)
    micro_context: str | None = None
    """The tail of the session's previous sentence (80-150 characters)."""
    meta: dict[str, Any] | None = None
    deadline_ms: int | None = Field(None, gt=0)
    """After this the answer is PASS with TIMEOUT; the node's configured default otherwise."""


class DiffItem(BaseModel):
    from_: str = Field(alias="from")
    to: str
    position: int

    model_config = {"populate_by_name": True}


class RepairResponse(BaseModel):
    decision: Decision
    text_out: str
    confidence: float = Field(ge=0.0, le=1.0)
    reason_codes: list[str] = []
    diff: list[DiffItem] = []
    process_time_ms: float = 0.0
    service_id: str | None = None
    """Which service answered (None: the node answered PASS itself)."""

    @classmethod
    def passed(cls, text: str, *reasons: str, elapsed_ms: float = 0.0) -> RepairResponse:
        return cls(
            decision=Decision.PASS,
            text_out=text,
            confidence=0.0,
            reason_codes=list(reasons),
            process_time_ms=elapsed_ms,
        )
