"""The pipeline without a running node: the home's installed services start at once in the
background (those marked autostart), the rest on demand; all stop when the block ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from voxnode.contracts.node_settings import NodeSettings
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.repair_router import RepairRouter
from voxnode.pipeline.service_host import ServiceHost
from voxnode.pipeline.service_picker import ServicePicker


@dataclass(frozen=True, slots=True)
class LocalNode:
    host: ServiceHost
    picker: ServicePicker
    jobs: JobOrchestrator


@asynccontextmanager
async def local_pipeline(settings: NodeSettings) -> AsyncIterator[LocalNode]:
    host = ServiceHost(settings)
    await host.open()
    repair = RepairRouter(host, settings.repair)
    picker = ServicePicker(host, settings.pipeline)
    picker.open()
    try:
        yield LocalNode(host, picker, JobOrchestrator(picker, repair, settings.pipeline))
    finally:
        await picker.close()
        await repair.close()
        await host.close()
