"""A quality estimate per translation, 0-1, from what the translator already has: the
model's confidence in its own answer and the guards' findings. Hybrid routing sends the
low ones to a cloud translator when there is one (issue: route by quality)."""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque

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


class RunningRank:
    """Where an estimate stands among the last `size` of its kind (a direction's): the
    share of them below it, ties counted half, 0 when there are none yet. Each estimate
    asked about is remembered; thread-safe. Ranks, not thresholds: the mean estimate
    differs by direction and by topic (0.83 on talk zh->en, 0.75 on talk en->zh, 0.64 on
    news zh->en)."""

    def __init__(self, size: int = 100):
        self._recent: dict[object, deque[float]] = defaultdict(lambda: deque(maxlen=size))
        self._lock = threading.Lock()

    def share_below(self, kind: object, quality: float) -> float:
        with self._lock:
            recent = self._recent[kind]
            below = sum(q < quality for q in recent) + sum(q == quality for q in recent) / 2
            share = below / len(recent) if recent else 0.0
            recent.append(quality)
            return share
