"""Repair quality metrics (research/repair_quality.md), one frozen normaliser on both sides.

CER for Chinese (characters, punctuation and spaces removed), WER for English (lower case,
punctuation removed, letters read one by one joined: "n e c" and "NEC" both become "nec").
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from voxnode.contracts.text_distance import levenshtein

_ZH_DROP = re.compile(r"[\s\W_]+")
_EN_PUNCT = re.compile(r"[^\w\s']+")
_LETTER_RUN = re.compile(r"\b(?:[a-z] )+[a-z]\b")


def units(text: str, lang: str) -> list[str]:
    if lang == "zh":
        return list(_ZH_DROP.sub("", text))
    lowered = _EN_PUNCT.sub(" ", text.lower())
    lowered = " ".join(lowered.split())
    lowered = _LETTER_RUN.sub(lambda m: m.group(0).replace(" ", ""), lowered)
    return lowered.split()


@dataclass(slots=True)
class RepairScore:
    lang: str
    rows: int = 0
    ref_units: int = 0
    errors_before: int = 0
    errors_after: int = 0
    improved: int = 0
    worsened: int = 0
    unchanged: int = 0
    clean_inputs: int = 0
    clean_changed: int = 0
    changed: int = 0
    changed_correct: int = 0
    wrong_inputs: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    triggered_ms: list[float] = field(default_factory=list)
    passed_through_ms: list[float] = field(default_factory=list)
    categories: dict[str, list[int]] = field(default_factory=dict)
    """category -> [exact, total] for spoken->written sets (ITN)."""

    def add(
        self, src: str, ref: str, out: str, *, decision: str, latency_ms: float,
        triggered: bool, category: str | None = None,
    ) -> None:  # fmt: skip
        s, r, o = (units(t, self.lang) for t in (src, ref, out))
        before, after = levenshtein(s, r), levenshtein(o, r)
        self.rows += 1
        self.ref_units += len(r)
        self.errors_before += before
        self.errors_after += after
        self.improved += after < before
        self.worsened += after > before
        self.unchanged += after == before
        changed = o != s
        if s == r:
            self.clean_inputs += 1
            self.clean_changed += changed
        else:
            self.wrong_inputs += 1
        self.changed += changed
        self.changed_correct += changed and o == r
        self.decisions[decision] += 1
        self.latencies_ms.append(latency_ms)
        (self.triggered_ms if triggered else self.passed_through_ms).append(latency_ms)
        if category is not None:
            exact_total = self.categories.setdefault(category, [0, 0])
            exact_total[0] += out == ref
            exact_total[1] += 1

    def summary(self) -> dict[str, Any]:
        rate = "cer" if self.lang == "zh" else "wer"
        before = self.errors_before / max(self.ref_units, 1)
        after = self.errors_after / max(self.ref_units, 1)
        precision = self.changed_correct / self.changed if self.changed else None
        recall = self.changed_correct / self.wrong_inputs if self.wrong_inputs else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision and recall
            else (0.0 if precision is not None and recall is not None else None)
        )
        out: dict[str, Any] = {
            "rows": self.rows,
            f"{rate}_before": round(before, 4),
            f"{rate}_after": round(after, 4),
            "relative_reduction": round((before - after) / before, 4) if before else None,
            "improved": self.improved,
            "worsened": self.worsened,
            "unchanged": self.unchanged,
            "over_correction": round(self.clean_changed / self.clean_inputs, 4)
            if self.clean_inputs
            else None,
            "clean_inputs": self.clean_inputs,
            "clean_changed": self.clean_changed,
            "changed": self.changed,
            "changed_correct": self.changed_correct,
            "precision": _round(precision),
            "recall": _round(recall),
            "f1": _round(f1),
            "decisions": dict(self.decisions),
            "latency_ms": _percentiles(self.latencies_ms),
            "latency_triggered_ms": _percentiles(self.triggered_ms),
            "latency_passed_through_ms": _percentiles(self.passed_through_ms),
        }
        if self.categories:
            out["exact_match_by_category"] = {
                name: {"exact": e, "total": t, "rate": round(e / t, 4)}
                for name, (e, t) in sorted(self.categories.items())
            }
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(pick(0.95), 2),
        "p99": round(pick(0.99), 2),
    }
