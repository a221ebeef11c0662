"""The node's FastAPI app: `create_app(settings)`; its lifespan owns every child process."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel

import voxnode
from voxnode.agent.scheduler_agent import SchedulerAgent
from voxnode.api import models_routes, openai_routes, services_routes, stream_routes
from voxnode.api.error_handlers import install_error_handlers
from voxnode.api.metrics_collector import NodeCollector
from voxnode.api.node_state import NodeState, node_state
from voxnode.contracts.job import JobRequest, JobResult
from voxnode.contracts.node_event import EventType, NodeEvent
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.repair import RepairRequest, RepairResponse
from voxnode.models.model_store_factory import open_model_store
from voxnode.pipeline.node_pipeline import open_node_pipeline


class NodeHealth(BaseModel):
    status: str
    version: str
    uptime_s: float
    services: int
    ready: int


def create_app(settings: NodeSettings, *, public_url: str | None = None) -> FastAPI:
    """`public_url`: where this node answers (services reach the model host through it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics = CollectorRegistry()
        async with open_node_pipeline(settings, metrics, node_url=public_url) as pipeline:
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
            app.state.node = NodeState(
                settings=settings,
                host=pipeline.host,
                client=pipeline.client,
                routes=pipeline.routes,
                repair=pipeline.repair,
                jobs=pipeline.jobs,
                models=models,
                started_at=time.time(),
                agent=agent,
            )
            metrics.register(NodeCollector(app.state.node))
            app.state.metrics = metrics
            try:
                yield
            finally:
                if cluster is not None:
                    await cluster.close()
                if agent is not None:
                    await agent.close()

    app = FastAPI(title="VoxNode", version=voxnode.__version__, lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(services_routes.router)
    app.include_router(models_routes.router)
    app.include_router(openai_routes.router)
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
        await socket.accept()
        with node.host.events.subscribe() as queue:
            for status in node.host.statuses():
                snapshot = NodeEvent(
                    type=EventType.SERVICE_STATE,
                    service_id=status.service_id,
                    data={"state": status.state.value, "version": status.version, "snapshot": True},
                )
                await socket.send_text(snapshot.model_dump_json())
            try:
                while True:
                    await socket.send_text((await queue.get()).model_dump_json())
            except WebSocketDisconnect:
                pass

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> str:
        return resources.files("voxnode.api").joinpath("dashboard.html").read_text("utf-8")

    return app
