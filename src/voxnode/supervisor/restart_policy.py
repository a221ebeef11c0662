"""When to restart a crashed service, and when to give up (a crash loop). Pure decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    backoff_initial_s: float
    backoff_max_s: float
    max_restarts: int
    window_s: float


def recent_restarts(restart_times: Sequence[float], now: float, window_s: float) -> int:
    return sum(1 for t in restart_times if now - t <= window_s)


def restart_delay(
    policy: RestartPolicy, restart_times: Sequence[float], now: float
) -> float | None:
    """Seconds to wait before the next restart, or None: crash loop, stay failed."""
    recent = recent_restarts(restart_times, now, policy.window_s)
    if recent >= policy.max_restarts:
        return None
    return float(min(policy.backoff_initial_s * (2**recent), policy.backoff_max_s))
