"""Translation quality: sacrebleu BLEU (its `zh` tokenizer for Chinese) and chrF over a
whole set, empty outputs, low-confidence answers, and latency percentiles."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.languages import language_code

DIRECTIONS = {"zh-en": ("zh", "en"), "en-zh": ("en", "zh")}


@dataclass(frozen=True, slots=True)
class TranslationRow:
    id: str
    src: str
    ref: str


def load_translation_set(
    path: Path, direction: str, limit: int | None = None
) -> list[TranslationRow]:
    """Rows `{id, zh, en}` (either direction) or `{id, src, ref}`."""
    if direction not in DIRECTIONS:
        raise BadInputError(f"direction must be one of {sorted(DIRECTIONS)}", code="BAD_DIRECTION")
    src_key, ref_key = DIRECTIONS[direction]
    try:
        raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: not a JSON Lines set ({exc})", code="BAD_SET") from exc
    rows = []
    for index, item in enumerate(raw):
        src, ref = item.get(src_key, item.get("src")), item.get(ref_key, item.get("ref"))
        if not isinstance(src, str) or not isinstance(ref, str):
            raise BadInputError(
                f"{path}: row {index} needs {src_key} and {ref_key}", code="BAD_SET"
            )
        rows.append(TranslationRow(str(item.get("id", index)), src, ref))
    return rows[:limit] if limit else rows


def percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(pick(0.95), 1),
    }


@dataclass(slots=True)
class TranslationScore:
    tgt_lang: str
    sources: list[str] = field(default_factory=list)
    hypotheses: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    qualities: list[float] = field(default_factory=list)
    empty: int = 0
    low_confidence: int = 0
    guard_failures: int = 0
    """Answers the guards refused at least once (retried, or kept as low-confidence)."""

    def add(
        self, src: str, ref: str, hyp: str, *, latency_ms: float, quality: float | None = None,
        low_confidence: bool = False, guard_failed: bool = False,
    ) -> None:  # fmt: skip
        self.sources.append(src)
        self.references.append(ref)
        self.hypotheses.append(hyp)
        self.latencies_ms.append(latency_ms)
        self.empty += not hyp.strip()
        self.low_confidence += low_confidence
        self.guard_failures += guard_failed
        if quality is not None:
            self.qualities.append(quality)

    def summary(self) -> dict[str, Any]:
        import sacrebleu

        zh = language_code(self.tgt_lang) == "zh"
        bleu = sacrebleu.corpus_bleu(
            self.hypotheses, [self.references], tokenize="zh" if zh else "13a"
        )
        chrf = sacrebleu.corpus_chrf(self.hypotheses, [self.references])
        return {
            "rows": len(self.hypotheses),
            "bleu": round(bleu.score, 2),
            "chrf": round(chrf.score, 2),
            "empty": self.empty,
            "low_confidence": self.low_confidence,
            "guard_failures": self.guard_failures,
            "latency_ms": percentiles(self.latencies_ms),
            "quality_mean": round(statistics.fmean(self.qualities), 3) if self.qualities else None,
        }
