"""Everything a node runs jobs with, opened and closed in one place: the service host, the
repair router, the service picker and the job orchestrator. The node's API and the CLI's
node-less commands (translate, demo) both use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from voxnode.contracts.node_settings import NodeSettings
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.pipeline_metrics import PipelineMetrics
from voxnode.pipeline.repair_router import RepairRouter
from voxnode.pipeline.service_host import ServiceHost
from voxnode.pipeline.service_picker import ServicePicker


@dataclass(frozen=True, slots=True)
class NodePipeline:
    host: ServiceHost
    repair: RepairRouter
    picker: ServicePicker
    jobs: JobOrchestrator


@asynccontextmanager
async def open_node_pipeline(
    settings: NodeSettings, registry: CollectorRegistry | None = None
) -> AsyncIterator[NodePipeline]:
    """Installed services start in the background (those marked autostart), the rest on
    demand; every one is stopped when the block ends. Metrics go to `registry` if given."""
    host = ServiceHost(settings)
    await host.open()
    metrics = PipelineMetrics(registry)
    repair = RepairRouter(host, settings.repair)
    picker = ServicePicker(host, settings.pipeline, metrics)
    picker.open()
    try:
        yield NodePipeline(
            host, repair, picker, JobOrchestrator(picker, repair, settings.pipeline, metrics)
        )
    finally:
        await picker.close()
        await repair.close()
        await host.close()
