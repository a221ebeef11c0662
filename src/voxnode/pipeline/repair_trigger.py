"""The node's trigger policy for semantic repair (seed 001 5.1 and 8.1), config-driven.

A sentence that does not fire still goes through en-normalize (English) but never reaches a
repair model: the answer is PASS at once. zh fires on every sentence by default, because
its service's detector is cheap; en fires only when the ASR is unsure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from voxnode.contracts.node_settings import RepairTriggerSettings
from voxnode.contracts.repair import ReasonCode

_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD_CHARS = re.compile(r"[\w\u4e00-\u9fff]")
_ZH_SYNTAX = set("是有在了的不我你他她们这那就要会能去来说吗呢吧")


@dataclass(frozen=True, slots=True)
class TriggerDecision:
    fire: bool
    reasons: tuple[str, ...]

    def as_meta(self) -> dict[str, Any]:
        return {"fire": self.fire, "reasons": list(self.reasons)}


def decide(
    lang: str,
    text: str,
    quality_score: float | None,
    meta: dict[str, Any] | None,
    settings: RepairTriggerSettings,
) -> TriggerDecision:
    if settings.mode == "always":
        return TriggerDecision(True, (ReasonCode.ALWAYS,))
    if settings.mode == "never":
        return TriggerDecision(False, ())
    reasons = []
    if quality_score is not None and quality_score < settings.quality_threshold:
        reasons.append(ReasonCode.LOW_QUALITY_SCORE)
    nbest = [" ".join(h.split()) for h in (meta or {}).get("nbest") or [] if isinstance(h, str)]
    if len(set(nbest)) > 1:
        reasons.append(ReasonCode.NBEST_DISAGREE)
    stripped = text.strip()
    if stripped and len(stripped) <= settings.short_length and lang == "zh":
        chars = _WORD_CHARS.findall(stripped)
        foreign = sum(1 for c in chars if not _HAN.match(c)) / max(len(chars), 1)
        if foreign > settings.foreign_ratio:
            reasons.append(ReasonCode.HIGH_NON_CHINESE_RATIO)
        if not _ZH_SYNTAX & set(stripped):
            reasons.append(ReasonCode.MISSING_BASIC_SYNTAX)
    return TriggerDecision(bool(reasons), tuple(reasons))
