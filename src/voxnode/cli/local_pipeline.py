"""The pipeline without a running node: the home's installed services start at once in the
background (those marked autostart), the rest on demand; all stop when the block ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from voxnode.contracts.node_settings import NodeSettings
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.repair_router import RepairRouter
from voxnode.pipeline.service_host import ServiceHost
from voxnode.pipeline.service_picker import ServicePicker


@asynccontextmanager
async def local_pipeline(settings: NodeSettings) -> AsyncIterator[JobOrchestrator]:
    host = ServiceHost(settings)
    await host.open()
    repair = RepairRouter(host, settings.repair)
    picker = ServicePicker(host, settings.pipeline)
    picker.open()
    try:
        yield JobOrchestrator(picker, repair, settings.pipeline)
    finally:
        await picker.close()
        await repair.close()
        await host.close()
