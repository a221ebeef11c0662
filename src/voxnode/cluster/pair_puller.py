"""Pulls jobs of one language pair from its durable consumer (shared with every node that
serves the pair) and hands them to the runner, one per free slot of this node: a node never
holds a job it cannot start, so idle nodes get the next ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
import nats.js.errors
from nats.js import JetStreamContext

from voxnode.cluster import cluster_names as names
from voxnode.cluster.cluster_names import Pair
from voxnode.cluster.jetstream_layout import PairConsumer, ensure_pair_consumer
from voxnode.cluster.job_runner import ClusterJobRunner
from voxnode.cluster.nats_connection import TRANSIENT_NATS_ERRORS
from voxnode.contracts.node_settings import ClusterSettings

log = logging.getLogger(__name__)
RETRY_PULL: tuple[type[Exception], ...] = (*TRANSIENT_NATS_ERRORS, nats.js.errors.NotFoundError)
"""The server is away, or lacks the stream or consumer for now: bind again."""


class PairPuller:
    def __init__(
        self,
        js: JetStreamContext,
        pair: Pair,
        settings: ClusterSettings,
        slots: asyncio.Semaphore,
        runner: ClusterJobRunner,
    ):
        self.pair = pair
        self._js = js
        self._settings = settings
        self._slots = slots
        self._runner = runner
        self._stopping = False
        self._rebind = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"pull-{self.pair}")

    def rebind(self) -> None:
        """After a reconnection: make sure of the consumer again (a new server may lack it)."""
        self._rebind = True

    async def stop(self) -> None:
        """No new pull; the one waiting ends within fetch_timeout_s (a job it brings back is
        nak'ed for another node)."""
        self._stopping = True
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self._settings.fetch_timeout_s + 1.0)
        except TimeoutError:  # waiting for a slot: nothing was pulled
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while not self._stopping:
            try:
                consumer = await ensure_pair_consumer(self._js, self.pair, self._settings)
                sub = await self._js.pull_subscribe_bind(consumer.name, names.JOBS_STREAM)
                try:
                    await self._pull(sub, consumer)
                finally:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()
            except RETRY_PULL as exc:
                log.debug("cluster: pull %s: %s: %s", self.pair, type(exc).__name__, exc)
                await asyncio.sleep(self._settings.reconnect_wait_s)
            except nats.errors.ConnectionClosedError:
                return
            except Exception:
                log.exception("cluster: pull %s failed; again", self.pair)
                await asyncio.sleep(self._settings.reconnect_wait_s)

    async def _pull(self, sub: JetStreamContext.PullSubscription, consumer: PairConsumer) -> None:
        log.info("cluster: pulling %s (consumer %s)", self.pair, consumer.name)
        self._rebind = False
        while not self._stopping and not self._rebind:
            await self._slots.acquire()
            handed = False
            try:
                if self._stopping:
                    return
                try:
                    messages = await sub.fetch(1, timeout=self._settings.fetch_timeout_s)
                except nats.errors.TimeoutError:
                    continue
                for msg in messages:
                    if self._stopping or handed:
                        with contextlib.suppress(Exception):
                            await msg.nak()
                        continue
                    self._runner.start(msg, consumer.max_deliver, self._slots.release)
                    handed = True
            finally:
                if not handed:
                    self._slots.release()
        if self._stopping:
            log.info("cluster: stopped pulling %s", self.pair)
