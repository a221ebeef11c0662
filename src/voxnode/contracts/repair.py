"""Contract 3: semantic repair request and response (seed 001)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from voxnode.contracts.service_request import ServiceRequest


class Decision(StrEnum):
    PASS = "PASS"
    REPAIR = "REPAIR"
    REJECT = "REJECT"


class ReasonCode(StrEnum):
    """Every reason code VoxNode itself writes (a third-party service may add its own)."""

    # the node's repair routing: every failure is PASS with one of these
    SERVICE_NOT_AVAILABLE = "SERVICE_NOT_AVAILABLE"
    TIMEOUT = "TIMEOUT"
    SERVICE_ERROR = "SERVICE_ERROR"
    NOT_INSTALLED_OR_UNSUPPORTED_LANG = "SERVICE_NOT_INSTALLED_OR_UNSUPPORTED_LANG"
    NOT_TRIGGERED = "NOT_TRIGGERED"
    # the node's trigger policy
    ALWAYS = "ALWAYS"
    LOW_QUALITY_SCORE = "LOW_QUALITY_SCORE"
    NBEST_DISAGREE = "NBEST_DISAGREE"
    HIGH_NON_CHINESE_RATIO = "HIGH_NON_CHINESE_RATIO"
    MISSING_BASIC_SYNTAX = "MISSING_BASIC_SYNTAX"
    NODE_TRIGGER = "NODE_TRIGGER"
    # the orchestrator
    REPETITION_TRIMMED = "REPETITION_TRIMMED"
    OVERLAP_TRIMMED = "OVERLAP_TRIMMED"
    MERGED_HELD_FRAGMENT = "MERGED_HELD_FRAGMENT"
    HELD_FOR_NEXT_UTTERANCE = "HELD_FOR_NEXT_UTTERANCE"
    NO_SPEECH = "NO_SPEECH"
    TRANSLATION_LOW_CONFIDENCE = "TRANSLATION_LOW_CONFIDENCE"
    """Followed in the list by TRANSLATION_<issue> for what the guards found."""
    # zh repair
    TRADITIONAL_TO_SIMPLIFIED = "TRADITIONAL_TO_SIMPLIFIED"
    HOMOPHONE_REPAIRED = "HOMOPHONE_REPAIRED"
    UNCERTAIN_LEFT_UNCHANGED = "UNCERTAIN_LEFT_UNCHANGED"
    MICRO_CONTEXT_USED = "MICRO_CONTEXT_USED"
    # en repair
    LLM_REPAIR_APPLIED = "LLM_REPAIR_APPLIED"
    NO_CONFIDENT_REPAIR = "NO_CONFIDENT_REPAIR"
    CANDIDATE_REJECTED = "CANDIDATE_REJECTED"
    """Followed by ":WHY" (the guard that refused the candidate)."""
    # en-normalize
    WHITESPACE_NORMALIZED = "WHITESPACE_NORMALIZED"
    GLOSSARY_PROTECTED = "GLOSSARY_PROTECTED"
    URL_EMAIL_PROTECTED = "URL_EMAIL_PROTECTED"
    URL_EMAIL_WRITTEN = "URL_EMAIL_WRITTEN"
    NUMBER_NORMALIZED = "NUMBER_NORMALIZED"
    ACRONYM_RESTORED = "ACRONYM_RESTORED"
    PUNCTUATION_SPACING = "PUNCTUATION_SPACING"
    SENTENCE_CASED = "SENTENCE_CASED"
    # REJECT rules
    NOISE = "NOISE"
    REPETITION_LOOP = "REPETITION_LOOP"
    HALLUCINATED_BOILERPLATE = "HALLUCINATED_BOILERPLATE"


class RepairRequest(ServiceRequest):
    endpoint: ClassVar[str] = "/v1/repair"
    job_id: str = Field(min_length=1)
    session_id: str = Field(min_length=1)
    utterance_index: int = Field(0, ge=0)
    lang: str = Field(min_length=1)
    text_in: str
    quality_score: float | None = Field(None, ge=0.0, le=1.0)
    micro_context: str | None = None
    """The tail of the session's previous sentence (80-150 characters)."""
    meta: dict[str, Any] | None = None


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
