"""e5-small's cosines carry a language bias: a question scores every passage in its own
language higher than passages in another one, so in a base that mixes languages the nearest
chunks of an English question are English whatever they say (measured on the two dev
corpora in one base: 30 Chinese questions whose answer is in English text found it in the
top 5 for none of them). Calibration measures each chunk's cosine against the best cosines
of its own language for this question: cosine minus the mean of the `depth` best of that
language. A language with fewer than `depth` candidates is measured against the mean of the
`depth` best overall, so a handful of chunks in another language get no free lift.
Ranks come from calibrated values; the cosine a hit shows stays the raw one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

CALIBRATION_DEPTH = 20


def calibrated_ranking(
    by_language: Mapping[str, Sequence[tuple[str, float]]], depth: int = CALIBRATION_DEPTH
) -> list[tuple[str, float]]:
    """`by_language`: language -> (chunk id, cosine) of its nearest chunks. All of them,
    ranked by calibrated cosine, best first (ties keep the order given)."""
    everything = sorted((c for group in by_language.values() for _, c in group), reverse=True)
    if not everything:
        return []
    overall = _mean(everything[:depth])
    ranked: list[tuple[str, float]] = []
    for group in by_language.values():
        best = sorted((c for _, c in group), reverse=True)[:depth]
        baseline = _mean(best) if len(best) >= depth else overall
        ranked.extend((chunk_id, cosine - baseline) for chunk_id, cosine in group)
    return sorted(ranked, key=lambda item: -item[1])


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)
