"""What the API's routes work with; built by the app's lifespan, one per app."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from voxnode.agent.scheduler_agent import SchedulerAgent
from voxnode.api.node_monitor import NodeMonitor
from voxnode.contracts.errors import NotReadyError
from voxnode.contracts.node_settings import NodeSettings
from voxnode.knowledge.knowledge_manager import KnowledgeManager
from voxnode.models.model_store import ModelStore
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.repair_router import RepairRouter
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.service_host import ServiceHost
from voxnode.pipeline.stage_routes import StageRoutes


@dataclass(slots=True)
class NodeState:
    settings: NodeSettings
    host: ServiceHost
    client: ServiceClient
    routes: StageRoutes
    repair: RepairRouter
    jobs: JobOrchestrator
    models: ModelStore
    started_at: float
    monitor: NodeMonitor
    """Recent jobs, latency and hardware history, alerts (the dashboard's data)."""
    agent: SchedulerAgent | None = None
    """Running when a scheduler URL is configured."""
    knowledge: KnowledgeManager | None = None
    """None without the 'knowledge' extra."""
    open_streams: int = 0
    """WS /v1/stream sessions now (at most settings.stream.max_streams)."""

    def knowledge_bases(self) -> KnowledgeManager:
        """The knowledge bases, or KB_UNAVAILABLE without the 'knowledge' extra."""
        if self.knowledge is None:
            raise NotReadyError(
                "knowledge bases need the 'knowledge' extra (pip install 'voxnode[knowledge]')",
                code="KB_UNAVAILABLE",
            )
        return self.knowledge


def node_state(request: Request) -> NodeState:
    state: NodeState = request.app.state.node
    return state
