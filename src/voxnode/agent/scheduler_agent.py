"""The node's connection to a scheduler (contract 5): register, heartbeat, take jobs.

One loop: connect -> node_register -> node_register_ack (the node_id is kept in
`<home>/agent.json` and sent again on every later registration) -> a heartbeat at once and
every `heartbeat_s` -> messages until the connection drops -> wait (5 s doubling to 60 s,
reset by a registration) -> again. A service or model change sends a heartbeat within
`change_heartbeat_s`. Results finished while disconnected wait in the outbox and leave once,
after the next registration.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websockets
from pydantic import BaseModel, ValidationError
from websockets.asyncio.client import ClientConnection

import voxnode
from voxnode.agent import capabilities
from voxnode.agent.job_desk import JobDesk
from voxnode.agent.node_facts import (
    GpuReading,
    hardware,
    platform_name,
    read_gpus,
    resource_usage,
)
from voxnode.agent.scheduler_link import handshake_headers, tls_context
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.scheduler_messages import (
    JobAssign,
    JobCancel,
    NodeControl,
    NodeError,
    NodeHeartbeat,
    NodeRegister,
    NodeRegisterAck,
    scheduler_message,
)
from voxnode.models.model_store import ModelStore
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.service_host import ServiceHost

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AgentStatus:
    scheduler_url: str
    state: str = "connecting"
    """connecting | registered | disconnected"""
    node_id: str | None = None
    registered_at: float | None = None
    registrations: int = 0
    heartbeats_sent: int = 0
    last_heartbeat_at: float | None = None
    last_error: str | None = None


class SchedulerAgent:
    def __init__(
        self,
        settings: NodeSettings,
        host: ServiceHost,
        jobs: JobOrchestrator,
        models: ModelStore,
    ):
        assert settings.scheduler_url, "the agent needs a scheduler URL"
        self._settings = settings.agent
        self._host = host
        self._models = models
        self._id_file = Path(settings.home) / "agent.json"
        self.status = AgentStatus(settings.scheduler_url, node_id=self._load_node_id())
        self._outbox: collections.deque[BaseModel] = collections.deque()
        self._outbox_ready = asyncio.Event()
        self._change = asyncio.Event()
        self._gpus: list[GpuReading] = []
        self._task: asyncio.Task[None] | None = None
        self.desk = JobDesk(jobs, settings.agent, self._post)
        self.desk.node_id = self.status.node_id or ""
        self.desk.on_change = self.changed

    # ----- life

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler-agent")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.desk.close()

    def changed(self) -> None:
        """Something the scheduler should hear about: a heartbeat soon."""
        self._change.set()

    def view(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self.status),
            "draining": self.desk.draining,
            "running_jobs": self.desk.running,
            "outbox": len(self._outbox),
        }

    async def _run(self) -> None:
        self._gpus = await asyncio.to_thread(read_gpus)
        wait = self._settings.reconnect_min_s
        watchers = [
            asyncio.create_task(self._watch_services()),
            asyncio.create_task(self._watch_models()),
        ]
        try:
            while True:
                try:
                    url = self.status.scheduler_url
                    async with websockets.connect(
                        url, open_timeout=10, max_size=None,
                        ssl=tls_context(url, self._settings),
                        additional_headers=handshake_headers(self._settings),
                    ) as socket:  # fmt: skip
                        await self._register(socket)
                        wait = self._settings.reconnect_min_s
                        await self._serve(socket)
                        self.status.last_error = "the scheduler closed the connection"
                except (OSError, websockets.WebSocketException, VoxnodeError) as exc:
                    self.status.last_error = f"{type(exc).__name__}: {exc}"
                except TimeoutError:
                    self.status.last_error = "timed out"
                self.status.state = "disconnected"
                log.info("scheduler: %s; again in %.1f s", self.status.last_error, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, self._settings.reconnect_max_s)
        finally:
            for task in watchers:
                task.cancel()

    # ----- one connection

    async def _register(self, socket: ClientConnection) -> None:
        self.status.state = "connecting"
        await socket.send(self._registration().model_dump_json())  # node_id: null at first
        ack = await self._await_ack(socket)
        if ack.node_id != self.status.node_id:
            self._save_node_id(ack.node_id)
        self.status.node_id = self.desk.node_id = ack.node_id
        self.status.state, self.status.registered_at = "registered", time.time()
        self.status.registrations += 1
        log.info("scheduler: registered as %s (%s)", ack.node_id, ack.status)

    async def _await_ack(self, socket: ClientConnection) -> NodeRegisterAck:
        deadline = time.monotonic() + self._settings.register_timeout_s
        while True:
            raw = await asyncio.wait_for(socket.recv(), max(0.0, deadline - time.monotonic()))
            message = self._parse(raw)
            if isinstance(message, NodeRegisterAck):
                return message
            if message is not None:  # lingua sends nothing else before the ack
                log.warning("scheduler: %s before node_register_ack, ignored", message.type)

    async def _serve(self, socket: ClientConnection) -> None:
        self._outbox_ready.set()
        tasks = [
            asyncio.create_task(self._receive(socket)),
            asyncio.create_task(self._send_outbox(socket)),
            asyncio.create_task(self._beat(socket)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # the connection's error, if any
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _receive(self, socket: ClientConnection) -> None:
        async for raw in socket:
            message = self._parse(raw)
            if isinstance(message, JobAssign):
                self.desk.assign(message)
            elif isinstance(message, JobCancel):
                if not self.desk.cancel(message.job_id):
                    log.info("scheduler: cancel of %s, which is not running", message.job_id)
            elif isinstance(message, NodeControl):
                self._control(message)
            elif isinstance(message, NodeRegisterAck):
                self.status.node_id = self.desk.node_id = message.node_id

    async def _send_outbox(self, socket: ClientConnection) -> None:
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox:
                await socket.send(self._outbox[0].model_dump_json(exclude_none=True))
                self._outbox.popleft()  # only once sent: a dropped connection keeps it

    async def _beat(self, socket: ClientConnection) -> None:
        """One at once (lingua does so on the ack), then every heartbeat_s, and
        change_heartbeat_s after a change."""
        while True:
            self._change.clear()
            await socket.send((await self._heartbeat()).model_dump_json(exclude_none=True))
            self.status.heartbeats_sent += 1
            self.status.last_heartbeat_at = time.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._change.wait(), self._settings.heartbeat_s)
                await asyncio.sleep(self._settings.change_heartbeat_s)  # changes coalesce

    # ----- messages

    def _post(self, message: BaseModel) -> None:
        self._outbox.append(message)
        self._outbox_ready.set()

    def _parse(self, raw: str | bytes) -> Any:
        try:
            return scheduler_message.validate_json(raw)
        except ValidationError as exc:
            kind = _type_of(raw)
            log.warning("scheduler: unusable %s message: %s", kind, exc.errors()[:3])
            self._post(
                NodeError(
                    node_id=self.status.node_id or "", code="BAD_MESSAGE",
                    message=f"cannot use a '{kind}' message: {exc.errors()[0]['msg']}",
                    details={"type": kind},
                )
            )  # fmt: skip
            return None

    def _control(self, message: NodeControl) -> None:
        command = message.command.lower()
        if command == "drain":
            self.desk.drain()
        elif command == "resume":
            self.desk.resume()
        else:
            self._post(
                NodeError(
                    node_id=self.status.node_id or "", code="UNKNOWN_COMMAND",
                    message=f"node_control '{message.command}': this node knows drain and resume",
                )
            )  # fmt: skip
        log.info("scheduler: node_control %s (%s)", command, message.reason)

    def _registration(self) -> NodeRegister:
        statuses = self._host.statuses()
        return NodeRegister(
            node_id=self.status.node_id,
            version=voxnode.__version__,
            platform=platform_name(),
            hardware=hardware(self._gpus),
            installed_models=capabilities.installed_models(self._models.states()),
            installed_services=capabilities.installed_services(statuses, bool(self._gpus)),
            capability_by_type=capabilities.capability_by_type(statuses),
            accept_public_jobs=self._settings.accept_public_jobs,
            language_capabilities=capabilities.language_capabilities(statuses),
        )

    async def _heartbeat(self) -> NodeHeartbeat:
        gpus = await asyncio.to_thread(read_gpus) if self._gpus else []
        statuses = self._host.statuses()
        models = await asyncio.to_thread(self._models.states)
        running = self.desk.running
        return NodeHeartbeat(
            node_id=self.status.node_id or "",
            timestamp=int(time.time() * 1000),
            resource_usage=resource_usage(gpus, len(running)),
            installed_models=capabilities.installed_models(models),
            installed_services=capabilities.installed_services(statuses, bool(self._gpus)),
            capability_by_type=capabilities.capability_by_type(statuses),
            language_capabilities=capabilities.language_capabilities(statuses),
            running_job_ids=running,
            draining=self.desk.draining,
        )

    # ----- what makes a heartbeat early

    async def _watch_services(self) -> None:
        with self._host.events.subscribe() as queue:
            while True:
                await queue.get()
                self.changed()

    async def _watch_models(self) -> None:
        def present() -> set[str]:
            return {s.entry.name for s in self._models.states() if s.present}

        known = await asyncio.to_thread(present)
        while True:
            await asyncio.sleep(self._settings.model_poll_s)
            now = await asyncio.to_thread(present)
            if now != known:
                known = now
                self.changed()

    # ----- the node_id

    def _load_node_id(self) -> str | None:
        try:
            value = json.loads(self._id_file.read_text()).get("node_id")
        except (OSError, ValueError, AttributeError):
            return None
        return str(value) if value else None

    def _save_node_id(self, node_id: str) -> None:
        temporary = self._id_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"node_id": node_id}))
        os.replace(temporary, self._id_file)


def _type_of(raw: str | bytes) -> str:
    try:
        kind = json.loads(raw).get("type")
    except (ValueError, AttributeError):
        return "non-JSON"
    return str(kind) if kind else "untyped"
