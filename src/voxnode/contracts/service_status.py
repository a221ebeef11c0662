"""What the node reports about each installed service (API, CLI, agent)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from voxnode.contracts.service_manifest import ServiceType


class ServiceState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    STOPPING = "stopping"
    FAILED = "failed"


class ServiceStatus(BaseModel):
    service_id: str
    name: str
    type: ServiceType
    languages: list[str]
    subtype: str | None
    version: str
    """The current (routed-to) version."""
    installed_versions: list[str]
    state: ServiceState
    port: int | None = None
    pid: int | None = None
    url: str | None = None
    restarts: int = 0
    startup_seconds: float | None = None
    last_error: str | None = None
    inflight: int = 0
    model_service: bool = False
    device: str = "auto"
    """What the manifest asks for: gpu, cpu or auto."""
    model_id: str | None = None
    """The manifest's model name."""
