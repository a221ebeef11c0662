"""The one Levenshtein distance (repair diffs, evaluation metrics, guards)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def levenshtein(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Insertions, deletions and substitutions turning `a` into `b` (characters or words)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]
