"""Which service of a group the service client asks next: a pure function of their states.

Order: a ready service this call has not tried, warm (not cooling down) before cooling;
among those, primary before fallback (subtype "fallback"), then least loaded, then lowest
recent latency. With none ready: services already starting, then stopped ones (started on
demand), then failed ones whose restart is pending, then the ones this call already tried
that the supervisor may have restarted by now (after a short pause).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voxnode.contracts.service_status import ServiceState


@dataclass(frozen=True, slots=True)
class Candidate:
    service_id: str
    state: ServiceState
    fallback: bool = False
    inflight: int = 0
    latency_ms: float = 0.0
    cooling: bool = False
    """It failed a request recently and has not been seen healthy since."""
    restarting: bool = False
    """Failed, with an automatic restart scheduled."""
    tried: bool = False
    """This call already sent to it."""


@dataclass(frozen=True, slots=True)
class Choice:
    ready: str | None
    """Send to this one now."""
    wait_for: tuple[str, ...] = ()
    """Otherwise start (or wait for) these, in order, and send to the first that is ready."""
    pause_first: bool = False
    """Only services that failed this call are left: give the supervisor a moment first."""


def _preference(candidate: Candidate) -> tuple[bool, int, float]:
    return candidate.fallback, candidate.inflight, candidate.latency_ms


def choose(candidates: Sequence[Candidate]) -> Choice:
    fresh = [c for c in candidates if not c.tried]
    ready = [c for c in fresh if c.state is ServiceState.READY]
    warm = [c for c in ready if not c.cooling]
    if warm or ready:
        return Choice(min(warm or ready, key=_preference).service_id)
    starting = [c for c in fresh if c.state is ServiceState.STARTING]
    stopped = [c for c in fresh if c.state is ServiceState.STOPPED]
    restarting = [c for c in fresh if c.state is ServiceState.FAILED and c.restarting]
    again = [
        c for c in candidates if c.tried and (c.state is not ServiceState.FAILED or c.restarting)
    ]
    first = [
        *sorted(starting, key=_preference),
        *sorted(stopped, key=_preference),
        *sorted(restarting, key=_preference),
    ]
    return Choice(
        None,
        tuple(c.service_id for c in [*first, *sorted(again, key=_preference)]),
        pause_first=not first and bool(again),
    )
