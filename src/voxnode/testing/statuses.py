"""ServiceStatus values for tests of what is computed from service states."""

from __future__ import annotations

from typing import Any

from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_status import ServiceState, ServiceStatus


def status(service_id: str, kind: ServiceType, langs: list[str], **fields: Any) -> ServiceStatus:
    """A ready 1.0.0 service of `kind` serving `langs`; `fields` change the rest."""
    values: dict[str, Any] = dict(
        service_id=service_id, name=service_id, type=kind, languages=langs, subtype=None,
        version="1.0.0", installed_versions=["1.0.0"], state=ServiceState.READY,
    )  # fmt: skip
    values.update(fields)
    return ServiceStatus(**values)
