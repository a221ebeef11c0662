"""Semantic repair settings (VOXNODE_REPAIR_*): which language, which models, margins."""

from __future__ import annotations

from pydantic import Field

from voxnode.services.common.repair_settings import RepairServiceSettings


class RepairSettings(RepairServiceSettings):
    lang: str = Field("zh", pattern="^(zh|en)$")
    # zh
    zh_lm_model: str = "libime-zh-lm"
    zh_lexicon_model: str = "pycorrector-zh-data"
    zh_first_margin: float = 6.0
    zh_next_margin: float = 4.0
    zh_residual_margin: float = 1.0
    micro_context_chars: int = Field(150, ge=0)
    # en
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    engine: str = "auto"
    """auto | llama-cpp | llama-server | exllamav2 (seed 000 section 6)."""
    n_threads: int | None = None
    quality_threshold: float = Field(0.7, ge=0, le=1)
    en_margin: float = 5.0
    """nats the LLM must prefer a candidate over the 1-best by, after the ASR rank prior."""
    en_rank_prior: float = 1.0
    """nats charged per N-best rank below the 1-best."""
    en_max_top_votes: int = 1
    """The 1-best occurring more often than this in the N-best is left alone."""
    en_min_vote_lead: int = 1
    """A candidate must occur this many times more often than the 1-best in the N-best."""
    en_llm_suggestion: bool = True
    """Ask the LLM for its own fix as one more candidate (guarded, then scored like the rest)."""
    max_length_change: float = 0.2
    max_edit_ratio: float = 0.34
    """Edited words / words: above it the candidate is a rewrite, not a repair."""
