"""Semantic repair settings (VOXNODE_REPAIR_*): which language, which models, and the
repairers' own policy models, passed whole (VOXNODE_REPAIR_ZH__FIRST_MARGIN,
VOXNODE_REPAIR_EN__MARGIN, ...)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from voxnode.services.common.repair_settings import RepairServiceSettings
from voxnode.services.repair.en_repairer import EnPolicy


class ZhMargins(BaseModel):
    """The search's gates, in KenLM log10 units (env VOXNODE_REPAIR_ZH__FIRST_MARGIN, ...)."""

    model_config = ConfigDict(frozen=True)
    first_margin: float = 5.0
    next_margin: float = 2.0
    """KenLM log10 gain an edit needs, the first and each later one: chosen with
    bench/zh_repair_margins.py on the dev sets (first: the lowest that changed at most 2 of
    400 clean rmrb sentences; next: a sentence already shown wrong needs less, and 2 changed
    no more clean ones than 3; README, "Measuring repair quality")."""
    residual_margin: float | None = None
    """When set: a sentence in which a candidate still gains this much after the last edit is
    left as it was (UNCERTAIN_LEFT_UNCHANGED). Off by default: on real Whisper output, where
    a sentence often holds more errors than the trigram can fix, 8 sentences improved with it
    (at most 4 edits) and 50 without it (up to 12), none worsened either way, and no clean
    rmrb sentence changed either way (`voxnode eval repair`, data/zh_whisper_tts.jsonl)."""
    extra_char_penalty: float = 2.0
    known_word_penalty: float = 3.0
    inside_word_penalty: float = 3.0
    """A single character replaced inside a word of jieba's segmentation (制 in 一国两制):
    Whisper's homophones mostly leave characters no word holds (证份). With island_bonus
    chosen by bench/zh_repair_margins.py (README, "Measuring repair quality")."""
    tone_penalty: float = 1.0
    long_word_bonus: float = 1.5
    """A 3-4 character dictionary word made out of a window that is not one (会议是 -> 会议室)."""
    island_bonus: float = 2.0
    """A 2-character window both of whose characters belong to no dictionary word of the
    sentence (证份 in 翻译证份合同), a likely non-word, replaced by a near-homophone word: its
    fuzzy-pinyin cost is waived up to this much (证份 -> 这份 pays no nasal cost). A same-sound
    word already costs nothing (固乡 -> 故乡 gets no bonus)."""
    max_edits: int = 12
    protect_names: bool = True
    """Never edit inside a person's name or a 《title》 (ZhLexicon.name_positions): on rmrb
    every sentence the lower margins changed was a name or a title."""
    search_budget_ms: int = Field(800, gt=0)
    """The search's own time limit (the request's deadline still applies): a long sentence
    with several errors takes a search per edit, 0.1-0.6 s each on 2 CPU cores."""
    fuzzy_pinyin: bool = True
    """Also words one near-homophone syllable away (zheng/zhe, an/ang, zh/z, l/n, ...)."""
    joint_rewrites: bool = True
    """Also offer the search the changed runs of the sentence re-decoded whole from its
    sound (zh_lattice): neighbouring errors fixed together (拖平之负 -> 脱贫致富)."""
    joint_change_cost: float = Field(0.5, ge=0)
    """What each changed character costs in that decoder, in log10 units."""
    joint_char_penalty: float = Field(0.5, ge=0)
    """What the search charges such a rewrite for each changed character after the first
    (on top of their tones' and fuzzy rules' costs)."""
    alternative_char_bonus: float | None = Field(0.5, ge=0)
    """Also offer the search the runs Whisper's other hypotheses (meta.nbest) hold in the
    place of the 1-best's (zh_alternatives), each changed character earning this back, and
    no known-word cost (the beam, not the trigram, proposed the words; joint_char_penalty
    still applies); None: not. From
    bench/zh_homophone_fixes.py on Whisper's N-best (README, "Measuring repair quality")."""
    fuzzy_weight: float = 1.0
    """Scales the fuzzy rules' costs (zh_fuzzy_pinyin)."""
    llm_judge: Literal["auto", "on", "off"] = "auto"
    """The LLM the node hosts as a second judge in the gray zone: the best candidate that
    falls short of its margin by at most `judge_band` is made when the LLM, too, finds it
    likelier by `judge_margin` nats. auto: on where there is an NVIDIA GPU (a scoring call
    costs about 0.56 s on 2 CPU cores, more than the search budget leaves). Band and margin
    from bench/zh_homophone_fixes.py --judge and the rmrb over-correction check (README,
    "Measuring repair quality")."""
    judge_band: float = Field(2.0, ge=0)
    judge_margin: float = Field(4.0, ge=0)


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
