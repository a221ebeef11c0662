"""Settings that keep tests quick: short supervisor timings, quick agent reconnection."""

from __future__ import annotations

from typing import Any

from voxnode.contracts.node_settings import SupervisorSettings

FAST_AGENT_ENV = {
    "VOXNODE_AGENT__RECONNECT_MIN_S": "0.2",
    "VOXNODE_AGENT__RECONNECT_MAX_S": "1.0",
    "VOXNODE_SUPERVISOR__HEALTH_INTERVAL_S": "0.2",
}
"""For a `voxnode up` process joining a scheduler: quick reconnection; heartbeat timing stays
the default (15 s, 2 s after a change)."""


def fast_supervisor(**overrides: Any) -> SupervisorSettings:
    """Sub-second restarts and health checks; `overrides` replace single fields."""
    values: dict[str, Any] = dict(
        stop_grace_s=1.0,
        restart_backoff_initial_s=0.05,
        restart_backoff_max_s=0.2,
        crash_loop_max_restarts=3,
        crash_loop_window_s=30.0,
        health_interval_s=0.2,
        health_failures_before_restart=2,
        health_timeout_s=0.5,
        drain_timeout_s=10.0,
    )
    values.update(overrides)
    return SupervisorSettings(**values)
