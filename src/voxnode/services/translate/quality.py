"""A quality estimate per translation, 0-1, from what the translator already has: the
model's confidence in its own answer and the guards' findings. Hybrid routing sends the
low ones to a cloud translator when there is one (issue: route by quality)."""

from __future__ import annotations

import math

ISSUE_FACTOR = {
    "NOT_TARGET_LANGUAGE": 0.3, "EXPLANATION": 0.3, "LENGTH_IMPLAUSIBLE": 0.4,
    "NUMBER_CHANGED": 0.5, "UNTRANSLATED_WORD": 0.5, "DAY_CHANGED": 0.5,
    "NEGATION_DROPPED": 0.5, "EMPTY": 0.0,
}  # fmt: skip
UNKNOWN_CONFIDENCE = 0.6
"""When the engine reports no log-probabilities (engine A in process)."""


def estimate(logprob: float | None, tokens: int, issues: list[str]) -> float:
    """The geometric mean probability of the answer's tokens (the model's own confidence),
    scaled down for each problem the guards found."""
    confidence = (
        math.exp(logprob / tokens) if logprob is not None and tokens > 0 else UNKNOWN_CONFIDENCE
    )
    for issue in issues:
        confidence *= ISSUE_FACTOR.get(issue, 0.5)
    return round(min(max(confidence, 0.0), 1.0), 3)
