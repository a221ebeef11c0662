"""A node in cluster mode (`cluster.nats_url` set): it pulls jobs for the pairs its ready
services can serve, runs them through the same orchestrator as POST /v1/jobs, writes each
outcome to the results bucket, keeps its presence entry fresh, stops jobs its dispatcher
cancels and buries jobs JetStream gave up on (MAX_DELIVERIES advisories, one node of a
queue group each).

It sits beside the scheduler agent: a node may have both. The nats-server may be down at
start or restart at any time: the node connects in the background, reconnects forever, and
re-creates any stream or bucket a new server lacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
import time
import uuid
from pathlib import Path

from nats.aio.client import Client
from nats.aio.msg import Msg
from pydantic import ValidationError

import voxnode
from voxnode.agent import capabilities
from voxnode.cluster import cluster_names as names
from voxnode.cluster.cluster_names import Pair
from voxnode.cluster.dead_letters import DeadLetterDesk
from voxnode.cluster.jetstream_layout import open_layout
from voxnode.cluster.job_runner import ClusterJobRunner
from voxnode.cluster.nats_connection import ClusterUnavailableError, connect, retrying
from voxnode.cluster.outcome_store import OutcomeStore
from voxnode.cluster.pair_plan import plan_pairs, servable_pairs
from voxnode.cluster.pair_puller import PairPuller
from voxnode.cluster.presence_beacon import PresenceBeacon
from voxnode.contracts.cluster_messages import CancelNotice, NodePresence
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.scheduler_messages import LanguagePair
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.service_host import ServiceHost

log = logging.getLogger(__name__)


class ClusterNode:
    def __init__(self, settings: NodeSettings, host: ServiceHost, jobs: JobOrchestrator):
        assert settings.cluster.nats_url, "cluster mode needs cluster.nats_url"
        self._url = settings.cluster.nats_url
        self._settings = settings.cluster
        self._host = host
        self._jobs = jobs
        self.node_id = settings.cluster.node_id or _node_id(Path(settings.home) / "cluster.json")
        self._slots = asyncio.Semaphore(self._settings.max_jobs)
        self._pullers: dict[Pair, PairPuller] = {}
        self._offered: dict[Pair, LanguagePair] = {}
        self._nc: Client | None = None
        self._runner: ClusterJobRunner | None = None
        self._beacon: PresenceBeacon | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._started_at = time.time()

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run(), name="cluster-node"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(p.stop() for p in self._pullers.values()))
        if self._runner is not None:
            await self._runner.close()
        if self._beacon is not None:
            await self._beacon.withdraw(self.node_id)
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=2)
            await self._nc.close()

    # ----- life

    async def _run(self) -> None:
        self._nc = nc = await self._connect()
        js = nc.jetstream()
        layout = await retrying(
            lambda: open_layout(js, self._settings), timeout_s=None, what="create streams"
        )
        outcomes = OutcomeStore(layout.results, timeout_s=None)
        desk = DeadLetterDesk(layout, outcomes, self.node_id)
        self._runner = ClusterJobRunner(self._jobs, outcomes, desk, self._settings, self.node_id)
        await nc.subscribe(
            names.MAX_DELIVERIES_ADVISORY, queue=names.ADVISORY_QUEUE, cb=desk.on_max_deliveries
        )
        await nc.subscribe(names.CANCEL_SUBJECT, cb=self._on_cancel)
        self._beacon = PresenceBeacon(layout.nodes, self._settings, self._presence)
        self._tasks.append(asyncio.create_task(self._beacon.run(), name="cluster-presence"))
        log.info("cluster: node %s joined %s", self.node_id, self._url)
        with self._host.events.subscribe() as events:
            while True:
                await self._sync_pairs()
                await events.get()
                while not events.empty():  # a burst of changes is one sync
                    events.get_nowait()

    async def _connect(self) -> Client:
        while True:
            try:
                return await connect(
                    self._url, name=f"voxnode-node-{self.node_id}",
                    reconnect_wait_s=self._settings.reconnect_wait_s,
                    on_reconnect=self._on_reconnect,
                )  # fmt: skip
            except ClusterUnavailableError as exc:
                log.warning("cluster: %s; again in %.1f s", exc.message, 2.0)
                await asyncio.sleep(2.0)

    async def _on_reconnect(self) -> None:
        """A new server may lack what the old one had: create it again (a no-op otherwise),
        then the pullers make sure of their consumers."""
        if self._nc is None:
            return
        js = self._nc.jetstream()

        async def again() -> None:
            await retrying(lambda: open_layout(js, self._settings), timeout_s=None, what="layout")
            for puller in self._pullers.values():
                puller.rebind()
            if self._beacon is not None:
                self._beacon.changed()

        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.create_task(again(), name="cluster-relayout"))

    async def _sync_pairs(self) -> None:
        assert self._nc is not None and self._runner is not None
        self._offered = servable_pairs(self._host.statuses())
        change = plan_pairs(frozenset(self._pullers), frozenset(self._offered))
        if not change.start and not change.stop:
            return
        js = self._nc.jetstream()
        for pair in change.start:
            puller = self._pullers[pair] = PairPuller(
                js, pair, self._settings, self._slots, self._runner
            )
            puller.start()
        await asyncio.gather(*(self._pullers.pop(pair).stop() for pair in change.stop))
        log.info(
            "cluster: pairs now %s", ", ".join(str(p) for p in sorted(self._pullers)) or "none"
        )
        if self._beacon is not None:
            self._beacon.changed()

    async def _on_cancel(self, msg: Msg) -> None:
        try:
            notice = CancelNotice.model_validate_json(msg.data)
        except ValidationError:
            return
        if self._runner is not None and self._runner.cancel(notice.job_id):
            log.info("cluster: job %s cancelled by its dispatcher", notice.job_id)

    def _presence(self) -> NodePresence:
        runner = self._runner
        statuses = self._host.statuses()
        return NodePresence(
            node_id=self.node_id, hostname=socket.gethostname(), pid=os.getpid(),
            version=voxnode.__version__,
            pairs=[self._offered[p] for p in sorted(self._pullers) if p in self._offered],
            language_capabilities=capabilities.language_capabilities(statuses),
            capability_by_type=capabilities.capability_by_type(statuses),
            running=runner.running if runner else 0, max_jobs=self._settings.max_jobs,
            jobs_done=runner.done if runner else 0, started_at=self._started_at,
        )  # fmt: skip


def _node_id(path: Path) -> str:
    """Kept in the home, so a restarted node is the same node."""
    try:
        value = json.loads(path.read_text()).get("node_id")
        if isinstance(value, str) and value:
            return value
    except (OSError, ValueError, AttributeError):
        pass
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "node"
    node_id = f"{host}-{uuid.uuid4().hex[:6]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"node_id": node_id}))
    os.replace(temporary, path)
    return node_id
