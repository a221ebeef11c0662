"""A reference scheduler for development and tests: the server side of contract 5.

Nodes connect to WS /ws/node, register (a node_id is made when they bring none) and
heartbeat; their language pairs come from the heartbeat (VoxNode's `pairs`, else lingua's
asr_languages x semantic_languages). A job posted to POST /v1/jobs goes to the session's
node when it still carries the pair, else to a random node that does (lingua's pool pick).
A job with no result within `job_timeout_s` is cancelled there and sent to another node,
as is a job whose node disconnects or answers NODE_DRAINING; after `max_attempts` it fails
with JOB_TIMEOUT. The first job_result completes a job; later ones are only counted.

HTTP: POST /v1/jobs (waits for the outcome), GET /v1/jobs/{id}, POST /v1/jobs/{id}/cancel,
GET /v1/nodes, POST /v1/nodes/{id}/control, GET /v1/log (every message received).
Run it: `voxnode dev-scheduler --port 5010`; nodes join with
`voxnode up --scheduler-url ws://127.0.0.1:5010/ws/node`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

from voxnode.contracts.scheduler_messages import (
    JobAssign,
    JobCancel,
    JobResultMessage,
    NodeControl,
    NodeHeartbeat,
    NodeRegister,
    NodeRegisterAck,
    PipelineFlags,
    node_message,
)

log = logging.getLogger(__name__)
RETRY_ELSEWHERE = {"NODE_DRAINING"}


class JobSubmit(BaseModel):
    job_id: str | None = None
    session_id: str = "dev"
    utterance_index: int | None = None
    src_lang: str
    tgt_lang: str
    audio: str
    audio_format: str = "pcm16"
    sample_rate: int = 16000
    pipeline: PipelineFlags = PipelineFlags()
    enable_streaming_asr: bool = False
    context_text: str | None = None
    wait: bool = True
    """Answer when the job has its outcome (else at once)."""


class ControlBody(BaseModel):
    command: str
    reason: str | None = None


@dataclass(slots=True, eq=False)
class NodeLink:
    node_id: str
    socket: WebSocket
    register: dict[str, Any]
    pairs: set[tuple[str, str]] = field(default_factory=set)
    draining: bool = False
    heartbeats: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id, "draining": self.draining, "pairs": sorted(self.pairs),
            "register": self.register, "heartbeats": self.heartbeats,
        }  # fmt: skip

    def carries(self, src: str, tgt: str) -> bool:
        return any(t == tgt and (src == "auto" or s == src) for s, t in self.pairs)


@dataclass(slots=True)
class JobRecord:
    assign: JobAssign
    state: str = "pending"
    """pending | assigned | done | failed | cancelled"""
    node_id: str | None = None
    tried: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    results_received: int = 0
    error: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.Task[None] | None = None

    def view(self) -> dict[str, Any]:
        return {
            "job_id": self.assign.job_id, "state": self.state, "node_id": self.node_id,
            "attempts": self.assign.attempt_id, "tried": self.tried, "error": self.error,
            "results_received": self.results_received, "result": self.result,
        }  # fmt: skip


class DevScheduler:
    def __init__(
        self,
        *,
        job_timeout_s: float = 60.0,
        max_attempts: int = 3,
        pending_timeout_s: float = 10.0,
    ):
        self.job_timeout_s = job_timeout_s
        self.max_attempts = max_attempts
        self.pending_timeout_s = pending_timeout_s
        self.nodes: dict[str, NodeLink] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.sessions: dict[str, str] = {}
        self.log: list[dict[str, Any]] = []
        self.app = self._build_app()

    # ----- nodes

    async def serve_node(self, socket: WebSocket) -> None:
        await socket.accept()
        try:
            first = node_message.validate_json(await socket.receive_text())
        except (ValidationError, WebSocketDisconnect):
            await socket.close(code=1002)
            return
        if not isinstance(first, NodeRegister):
            await socket.close(code=1002, reason="node_register first")
            return
        node_id = first.node_id or f"node-{secrets.token_hex(4).upper()}"
        old = self.nodes.get(node_id)
        if old is not None:  # the same node again on a new connection: the old one is dead
            with contextlib.suppress(Exception):
                await old.socket.close()
        link = NodeLink(node_id, socket, first.model_dump(mode="json"))
        self.nodes[node_id] = link
        self._note(node_id, first.model_dump(mode="json"))
        await socket.send_text(
            NodeRegisterAck(node_id=node_id, message="welcome").model_dump_json()
        )
        try:
            while True:
                await self._on_message(link, await socket.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            if self.nodes.get(node_id) is link:
                del self.nodes[node_id]
                self._node_gone(node_id)

    async def _on_message(self, link: NodeLink, raw: str) -> None:
        try:
            message = node_message.validate_json(raw)
        except ValidationError as exc:
            self._note(link.node_id, {"type": "invalid", "error": str(exc)[:500]})
            return
        body = message.model_dump(mode="json")
        self._note(link.node_id, body)
        if isinstance(message, NodeHeartbeat):
            link.heartbeats.append({**body, "received_at": time.time()})
            del link.heartbeats[:-50]
            link.draining = message.draining
            link.pairs = _pairs(body.get("language_capabilities") or {})
        elif isinstance(message, JobResultMessage):
            self._on_result(link.node_id, message)

    def _node_gone(self, node_id: str) -> None:
        for job in self.jobs.values():
            if job.state == "assigned" and job.node_id == node_id:
                log.info("node %s gone with job %s: sent elsewhere", node_id, job.assign.job_id)
                self._redispatch(job)

    # ----- jobs

    async def submit(self, body: JobSubmit) -> JobRecord:
        job_id = body.job_id or f"job-{secrets.token_hex(6)}"
        if job_id in self.jobs:
            raise HTTPException(409, f"job {job_id} exists")
        index = body.utterance_index
        if index is None:
            index = sum(1 for j in self.jobs.values() if j.assign.session_id == body.session_id)
        assign = JobAssign(
            job_id=job_id, attempt_id=0, session_id=body.session_id, utterance_index=index,
            src_lang=body.src_lang, tgt_lang=body.tgt_lang, pipeline=body.pipeline,
            audio=body.audio, audio_format=body.audio_format, sample_rate=body.sample_rate,
            enable_streaming_asr=body.enable_streaming_asr, context_text=body.context_text,
            trace_id=secrets.token_hex(8),
        )  # fmt: skip
        job = self.jobs[job_id] = JobRecord(assign)
        await self._dispatch(job)
        return job

    async def _dispatch(self, job: JobRecord) -> None:
        assign = job.assign
        deadline = time.monotonic() + self.pending_timeout_s
        while True:
            node = self._pick(assign.session_id, assign.src_lang, assign.tgt_lang, job.tried)
            if node is not None or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        if node is None:
            self._fail(job, "NO_AVAILABLE_NODE")
            return
        assign.attempt_id += 1
        job.state, job.node_id = "assigned", node.node_id
        job.tried.append(node.node_id)
        self.sessions[assign.session_id] = node.node_id
        job.timer = asyncio.create_task(self._watch(job, assign.attempt_id))
        try:
            await node.socket.send_text(assign.model_dump_json())
        except Exception:
            log.info("job %s: node %s unreachable", assign.job_id, node.node_id)

    def _pick(self, session: str, src: str, tgt: str, tried: list[str]) -> NodeLink | None:
        able = [n for n in self.nodes.values() if not n.draining and n.carries(src, tgt)]
        bound = self.nodes.get(self.sessions.get(session, ""))
        if bound in able and bound.node_id not in tried:
            return bound
        fresh = [n for n in able if n.node_id not in tried]
        return random.choice(fresh or able) if (fresh or able) else None

    async def _watch(self, job: JobRecord, attempt: int) -> None:
        await asyncio.sleep(self.job_timeout_s)
        if job.state != "assigned" or job.assign.attempt_id != attempt:
            return
        await self._send_to(job.node_id, JobCancel(job_id=job.assign.job_id, reason="timeout"))
        self._redispatch(job)

    def _redispatch(self, job: JobRecord) -> None:
        if job.timer is not None:
            job.timer.cancel()
        if job.assign.attempt_id >= self.max_attempts:
            self._fail(job, "JOB_TIMEOUT")
            return
        job.state = "pending"
        asyncio.get_running_loop().create_task(self._dispatch(job))

    def _on_result(self, node_id: str, message: JobResultMessage) -> None:
        job = self.jobs.get(message.job_id)
        if job is None:
            return  # a result for a job this scheduler never gave (e.g. before a restart)
        job.results_received += 1
        if job.state in ("done", "failed", "cancelled"):
            return
        if not message.success and message.error and message.error.code in RETRY_ELSEWHERE:
            link = self.nodes.get(node_id)
            if link is not None:
                link.draining = True  # until its next heartbeat says otherwise
            self._redispatch(job)
            return
        if job.timer is not None:
            job.timer.cancel()
        job.state, job.node_id = "done", node_id
        job.result = message.model_dump(mode="json", exclude_none=True)
        job.done.set()

    def _fail(self, job: JobRecord, error: str) -> None:
        job.state, job.error = "failed", error
        job.done.set()

    async def cancel(self, job_id: str) -> JobRecord:
        job = self._job(job_id)
        if job.state == "assigned":
            await self._send_to(job.node_id, JobCancel(job_id=job_id, reason="cancelled"))
            if job.timer is not None:
                job.timer.cancel()
            job.state = "cancelled"
            job.done.set()
        return job

    # ----- plumbing

    async def _send_to(self, node_id: str | None, message: BaseModel) -> None:
        node = self.nodes.get(node_id or "")
        if node is not None:
            with contextlib.suppress(Exception):
                await node.socket.send_text(message.model_dump_json())

    def _job(self, job_id: str) -> JobRecord:
        job = self.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job

    def _note(self, node_id: str, body: dict[str, Any]) -> None:
        entry = {"at": time.time(), "node_id": node_id, "type": body.get("type")}
        entry.update({k: body[k] for k in ("job_id", "attempt_id", "code", "success") if k in body})
        if body.get("error"):
            entry["error"] = body["error"]["code"]
        self.log.append(entry)
        del self.log[:-5000]

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="VoxNode dev scheduler")
        app.add_api_websocket_route("/ws/node", self.serve_node)

        @app.get("/health")
        async def health() -> dict[str, Any]:
            return {"status": "ok", "nodes": len(self.nodes)}

        @app.post("/v1/jobs")
        async def post_job(body: JobSubmit) -> dict[str, Any]:
            job = await self.submit(body)
            if body.wait:
                limit = self.job_timeout_s * self.max_attempts + self.pending_timeout_s + 5
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(job.done.wait(), limit)
            return job.view()

        @app.get("/v1/jobs/{job_id}")
        async def get_job(job_id: str) -> dict[str, Any]:
            return self._job(job_id).view()

        @app.post("/v1/jobs/{job_id}/cancel")
        async def cancel_job(job_id: str) -> dict[str, Any]:
            return (await self.cancel(job_id)).view()

        @app.get("/v1/nodes")
        async def get_nodes() -> list[dict[str, Any]]:
            return [node.view() for node in self.nodes.values()]

        @app.post("/v1/nodes/{node_id}/control")
        async def control(node_id: str, body: ControlBody) -> dict[str, str]:
            if node_id not in self.nodes:
                raise HTTPException(404, f"no node {node_id}")
            await self._send_to(node_id, NodeControl(command=body.command, reason=body.reason))
            return {"sent": body.command}

        @app.get("/v1/log")
        async def get_log() -> list[dict[str, Any]]:
            return self.log

        return app


def _pairs(languages: dict[str, Any]) -> set[tuple[str, str]]:
    if languages.get("pairs"):
        return {(p["src"], p["tgt"]) for p in languages["pairs"]}
    heard, carried = languages.get("asr_languages", []), languages.get("semantic_languages", [])
    return {(src, tgt) for src in heard for tgt in carried if src != tgt}
