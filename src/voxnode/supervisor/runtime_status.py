"""The supervisor's view of one service at one moment."""

from __future__ import annotations

from dataclasses import dataclass

from voxnode.contracts.service_status import ServiceState


@dataclass(frozen=True, slots=True)
class RuntimeStatus:
    service_id: str
    version: str
    state: ServiceState
    port: int | None
    pid: int | None
    url: str | None
    restarts: int
    startup_s: float | None
    last_error: str | None
    inflight: int
    restarting: bool = False
    """Failed, with an automatic restart scheduled."""
