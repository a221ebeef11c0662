"""One installed version of a service: its manifest and its install folder.

What the installer produces and what the supervisor runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voxnode.contracts.service_manifest import ServiceManifest


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    manifest: ServiceManifest
    path: Path
    """The install folder (`${SERVICE_DIR}`)."""

    @property
    def service_id(self) -> str:
        return self.manifest.service_id

    @property
    def version(self) -> str:
        return self.manifest.version
