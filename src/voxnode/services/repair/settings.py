"""Semantic repair settings (VOXNODE_REPAIR_*): which language, which models, and the
repairers' own policy models, passed whole (VOXNODE_REPAIR_ZH__FIRST_MARGIN,
VOXNODE_REPAIR_EN__MARGIN, ...)."""

from __future__ import annotations

from pydantic import Field

from voxnode.services.common.repair_settings import RepairServiceSettings
from voxnode.services.repair.en_repairer import EnPolicy
from voxnode.services.repair.zh_repairer import ZhMargins


class RepairSettings(RepairServiceSettings):
    lang: str = Field("zh", pattern="^(zh|en)$")
    # zh
    zh_lm_model: str = "libime-zh-lm"
    zh_lexicon_model: str = "pycorrector-zh-data"
    micro_context_chars: int = Field(150, ge=0)
    zh: ZhMargins = ZhMargins()
    # en
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    engine: str = "node"
    """node: the model the node hosts (scoring through its /v1/score). Standalone: auto |
    llama-cpp | llama-server | exllamav2 load this service's own copy."""
    n_threads: int | None = None
    en: EnPolicy = EnPolicy()
