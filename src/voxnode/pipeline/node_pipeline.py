"""Everything a node runs jobs with, opened and closed in one place: the service host, the
service client, the repair router and the job orchestrator. The node's API and the CLI's
node-less commands (translate, demo, eval) all use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from voxnode.contracts.node_settings import NodeSettings
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.pipeline_metrics import PipelineMetrics
from voxnode.pipeline.repair_router import RepairRouter
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.service_host import ServiceHost
from voxnode.pipeline.stage_routes import StageRoutes


@dataclass(frozen=True, slots=True)
class NodePipeline:
    host: ServiceHost
    client: ServiceClient
    routes: StageRoutes
    repair: RepairRouter
    jobs: JobOrchestrator


@asynccontextmanager
async def open_node_pipeline(
    settings: NodeSettings,
    registry: CollectorRegistry | None = None,
    *,
    node_url: str | None = None,
    node_token: str | None = None,
) -> AsyncIterator[NodePipeline]:
    """Installed services start in the background (those marked autostart, unless the
    settings say otherwise), the rest on demand; every one is stopped when the block ends.
    Metrics go to `registry` if given; `node_url` and `node_token` are passed to services
    (VOXNODE_NODE_URL, VOXNODE_NODE_TOKEN)."""
    host = ServiceHost(settings, node_url=node_url, node_token=node_token)
    await host.open()
    metrics = PipelineMetrics(registry)
    client = ServiceClient(host, settings.pipeline, metrics, routing=settings.routing)
    client.open()
    repair = RepairRouter(client, settings.repair)
    routes = StageRoutes(client, metrics)
    jobs = JobOrchestrator(client, repair, settings.pipeline, metrics, routes=routes)
    try:
        yield NodePipeline(host, client, routes, repair, jobs)
    finally:
        await client.close()
        await host.close()
