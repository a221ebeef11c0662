"""Per-session order of outcomes: jobs of one session may run on different nodes and finish
in any order; the dispatcher releases them in utterance_index order.

A gap (an earlier utterance with no outcome yet) holds the later ones back. Every job ends
with an outcome (a result, a refusal, a dead letter or a cancel), so a gap normally closes;
one that stays open longer than the timeout (counted from the arrival of a held later
outcome) is skipped: the later outcomes leave, and the missing one leaves when it comes,
marked late. The decision is `plan_release`, a pure function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReleasePlan:
    release: tuple[int, ...]
    """Indices to release now, in this order."""
    skipped: tuple[int, ...]
    """Missing indices no longer waited for (released late when they come)."""


def plan_release(
    waiting: Sequence[tuple[int, float | None]], now: float, timeout_s: float
) -> ReleasePlan:
    """waiting: the session's unreleased indices in ascending order, each with the time its
    outcome arrived (None: not yet)."""
    expired = max(
        (index for index, at in waiting if at is not None and now - at >= timeout_s),
        default=None,
    )
    release: list[int] = []
    skipped: list[int] = []
    for index, at in waiting:
        if at is None:
            if expired is not None and index < expired:
                skipped.append(index)
                continue
            break
        release.append(index)
    return ReleasePlan(tuple(release), tuple(skipped))


@dataclass(slots=True)
class _Held(Generic[T]):
    item: T | None = None
    arrived_at: float | None = None


@dataclass(slots=True)
class SessionOrder(Generic[T]):
    """One session's waiting outcomes; `arrive` and `due` return what leaves, with `late`."""

    timeout_s: float
    next_index: int = 0
    """The next utterance_index to give a job that brings none."""
    _waiting: dict[int, _Held[T]] = field(default_factory=dict)
    _skipped: set[int] = field(default_factory=set)
    _released_max: int = -1

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def expect(self, index: int) -> None:
        self._waiting.setdefault(index, _Held())
        self.next_index = max(self.next_index, index + 1)

    def arrive(self, index: int, item: T, now: float) -> list[tuple[T, bool]]:
        if index in self._skipped or index not in self._waiting:
            self._skipped.discard(index)
            self._waiting.pop(index, None)
            return [(item, True)]
        held = self._waiting[index]
        if held.arrived_at is None:
            held.item, held.arrived_at = item, now
        return self.due(now)

    def forget(self, index: int) -> None:
        """A job that will have no outcome here (its submit failed): stop waiting for it."""
        self._waiting.pop(index, None)

    def due(self, now: float) -> list[tuple[T, bool]]:
        order = sorted(self._waiting)
        plan = plan_release([(i, self._waiting[i].arrived_at) for i in order], now, self.timeout_s)
        for index in plan.skipped:
            del self._waiting[index]
            self._skipped.add(index)
        out: list[tuple[T, bool]] = []
        for index in plan.release:
            held = self._waiting.pop(index)
            assert held.item is not None
            out.append((held.item, index < self._released_max))
            self._released_max = max(self._released_max, index)
        return out
