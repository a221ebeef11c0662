"""The node's FastAPI app: `create_app(settings)`; its lifespan owns every child process."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, WebSocket
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel

import voxnode
from voxnode.agent.scheduler_agent import SchedulerAgent
from voxnode.api import (
    dashboard_routes,
    embedding_routes,
    kb_routes,
    models_routes,
    monitoring_routes,
    openai_routes,
    services_routes,
    stream_routes,
)
from voxnode.api.access_gate import AccessGate, check_listen_policy
from voxnode.api.error_handlers import install_error_handlers
from voxnode.api.event_stream import stream_events
from voxnode.api.hardware_sampler import GpuReader, HardwareSampler
from voxnode.api.metrics_collector import NodeCollector
from voxnode.api.monitor_collector import MonitorCollector
from voxnode.api.node_monitor import NodeMonitor
from voxnode.api.node_state import NodeState, node_state
from voxnode.api.request_limits import RequestSizeLimit
from voxnode.contracts.job import JobRequest, JobResult
from voxnode.contracts.node_event import EventType, NodeEvent
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.repair import RepairRequest, RepairResponse
from voxnode.knowledge.node_knowledge import open_node_knowledge
from voxnode.models.model_store_factory import open_model_store
from voxnode.pipeline.node_pipeline import open_node_pipeline


class NodeHealth(BaseModel):
    status: str
    version: str
    uptime_s: float
    services: int
    ready: int


def create_app(
    settings: NodeSettings, *, public_url: str | None = None, gpus: GpuReader | None = None
) -> FastAPI:
    """`public_url`: where this node answers (services reach the model host through it);
    `gpus`: what reads the GPUs (default: nvidia-smi; tests give recorded output)."""
    token = settings.auth_token.get_secret_value() if settings.auth_token else None
    check_listen_policy(settings.host, token)
    service_token = secrets.token_urlsafe(32)
    """What the node's services send it (VOXNODE_NODE_TOKEN): never the user's token."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics = CollectorRegistry()
        async with (
            open_node_pipeline(
                settings, metrics, node_url=public_url, node_token=service_token
            ) as pipeline,
            open_node_knowledge(settings, pipeline.client) as knowledge,
        ):
            models = open_model_store(settings)
            agent = None
            if settings.scheduler_url:
                agent = SchedulerAgent(settings, pipeline.host, pipeline.jobs, models)
                agent.start()
            cluster = None
            if settings.cluster.nats_url:  # cluster mode: nats-py is the `cluster` extra
                from voxnode.cluster.cluster_node import ClusterNode

                cluster = ClusterNode(settings, pipeline.host, pipeline.jobs)
                cluster.start()
            sampler = HardwareSampler(gpus=gpus) if gpus else HardwareSampler()
            monitor = NodeMonitor(
                settings.monitoring, statuses=pipeline.host.statuses, sampler=sampler,
                metrics=pipeline.jobs.metrics,
            )  # fmt: skip
            pipeline.jobs.add_listener(monitor.record_job)
            app.state.node = NodeState(
                settings=settings,
                host=pipeline.host,
                client=pipeline.client,
                routes=pipeline.routes,
                repair=pipeline.repair,
                jobs=pipeline.jobs,
                models=models,
                started_at=time.time(),
                monitor=monitor,
                agent=agent,
                knowledge=knowledge,
            )
            metrics.register(NodeCollector(app.state.node))
            metrics.register(MonitorCollector(monitor))
            app.state.metrics = metrics
            watching = asyncio.create_task(monitor.run(), name="node-monitor")
            try:
                yield
            finally:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
                if cluster is not None:
                    await cluster.close()
                if agent is not None:
                    await agent.close()

    app = FastAPI(title="VoxNode", version=voxnode.__version__, lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(RequestSizeLimit, max_bytes=int(settings.max_request_mb * 1024**2))
    if token is not None:  # added last, so it runs first: nothing is read before the token
        app.add_middleware(AccessGate, tokens=[token, service_token])
    app.include_router(services_routes.router)
    app.include_router(models_routes.router)
    app.include_router(openai_routes.router)
    app.include_router(embedding_routes.router)
    app.include_router(kb_routes.router)
    app.include_router(monitoring_routes.router)
    app.include_router(dashboard_routes.router)
    app.mount("/ui", dashboard_routes.ui_files(), name="ui")
    app.include_router(stream_routes.router)

    @app.get("/health")
    async def health(node: NodeState = Depends(node_state)) -> NodeHealth:
        statuses = node.host.statuses()
        return NodeHealth(
            status="ok",
            version=voxnode.__version__,
            uptime_s=round(time.time() - node.started_at, 3),
            services=len(statuses),
            ready=sum(1 for s in statuses if s.state == "ready"),
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(app.state.metrics), media_type=CONTENT_TYPE_LATEST)

    @app.post("/v1/repair")
    async def repair(body: RepairRequest, node: NodeState = Depends(node_state)) -> RepairResponse:
        return await node.repair.repair(body)

    @app.get("/v1/agent")
    async def agent(node: NodeState = Depends(node_state)) -> dict[str, Any]:
        """The scheduler connection: state, node_id, heartbeats, jobs in flight."""
        if node.agent is None:
            return {"state": "off", "scheduler_url": None}
        return node.agent.view()

    @app.post("/v1/jobs", response_model=JobResult)
    async def jobs(body: JobRequest, node: NodeState = Depends(node_state)) -> Response:
        """One JobResult; with `stream: true`, server-sent events (api/stream_routes.py)."""
        if body.stream:
            return stream_routes.streamed_job(node, body)
        result = await node.jobs.run(body)
        return Response(result.model_dump_json(), media_type="application/json")

    @app.websocket("/v1/events")
    async def events(socket: WebSocket) -> None:
        node: NodeState = socket.app.state.node
        snapshot = [
            NodeEvent(
                type=EventType.SERVICE_STATE,
                service_id=status.service_id,
                data={"state": status.state.value, "version": status.version, "snapshot": True},
            )
            for status in node.host.statuses()
        ]
        await stream_events(socket, node.host.events, snapshot)

    return app
