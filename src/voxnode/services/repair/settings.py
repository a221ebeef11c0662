"""Semantic repair settings (VOXNODE_REPAIR_*): which language, which models, margins.

The margins' defaults are the repairers' own (ZhMargins, EnPolicy): one place sets them."""

from __future__ import annotations

from pydantic import Field

from voxnode.services.common.repair_settings import RepairServiceSettings
from voxnode.services.repair.en_repairer import EnPolicy
from voxnode.services.repair.zh_repairer import ZhMargins

_ZH = ZhMargins()
_EN = EnPolicy()


class RepairSettings(RepairServiceSettings):
    lang: str = Field("zh", pattern="^(zh|en)$")
    # zh
    zh_lm_model: str = "libime-zh-lm"
    zh_lexicon_model: str = "pycorrector-zh-data"
    zh_first_margin: float = _ZH.first_margin
    zh_next_margin: float = _ZH.next_margin
    zh_residual_margin: float = _ZH.residual_margin
    micro_context_chars: int = Field(150, ge=0)
    # en
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    engine: str = "auto"
    """auto | llama-cpp | llama-server | exllamav2 (seed 000 section 6)."""
    n_threads: int | None = None
    quality_threshold: float = Field(_EN.quality_threshold, ge=0, le=1)
    en_margin: float = _EN.margin
    """nats the LLM must prefer a candidate over the 1-best by, after the ASR rank prior."""
    en_rank_prior: float = _EN.rank_prior
    """nats charged per N-best rank below the 1-best (the LLM's own fix counts as rank 1)."""
    en_edit_penalty: float = _EN.edit_penalty
    """nats charged per word a candidate changes."""
    en_max_word_change: int = Field(_EN.max_word_change, ge=0)
    """Words a candidate may add or remove (0: same length; the score cannot judge more)."""
    en_llm_suggestion: bool = _EN.llm_suggestion
    """Ask the LLM for its own fix as one more candidate (guarded, then scored like the rest)."""
    max_length_change: float = _EN.max_length_change
    max_edit_ratio: float = _EN.max_edit_ratio
    """Edited words / words: above it the candidate is a rewrite, not a repair."""
