"""The supervisor's record of one service: its state, its processes, its restart history."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from voxnode.contracts.service_spec import ServiceSpec
from voxnode.contracts.service_status import ServiceState
from voxnode.supervisor.concurrency_gate import ConcurrencyGate
from voxnode.supervisor.runtime_status import RuntimeStatus
from voxnode.supervisor.service_process import ServiceProcess


@dataclass(slots=True)
class ServiceSlot:
    spec: ServiceSpec
    gate: ConcurrencyGate
    """Its resources.max_concurrency, enforced on every lease."""
    state: ServiceState = ServiceState.STOPPED
    active: ServiceProcess | None = None
    """The process requests are routed to."""
    draining: list[ServiceProcess] = field(default_factory=list)
    """Older versions finishing their in-flight requests after an upgrade."""
    wanted: bool = False
    """The node wants this service running: crashes are restarted."""
    restart_times: list[float] = field(default_factory=list)
    restarts: int = 0
    last_error: str | None = None
    startup_s: float | None = None
    last_used: float = 0.0
    health_failures: int = 0
    starting: asyncio.Task[ServiceProcess] | None = None
    restart_task: asyncio.Task[None] | None = None

    @property
    def restart_pending(self) -> bool:
        return self.restart_task is not None and not self.restart_task.done()

    def processes(self) -> list[ServiceProcess]:
        return [*([self.active] if self.active else []), *self.draining]

    def status(self) -> RuntimeStatus:
        proc = self.active
        return RuntimeStatus(
            service_id=self.spec.service_id,
            version=self.spec.version,
            state=self.state,
            port=proc.port if proc else None,
            pid=proc.pid if proc else None,
            url=proc.url if proc else None,
            restarts=self.restarts,
            startup_s=self.startup_s,
            last_error=self.last_error,
            inflight=sum(p.inflight for p in self.processes()),
            restarting=self.restart_pending,
        )
