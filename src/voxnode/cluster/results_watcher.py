"""Follows one dispatcher's keys (`<client_id>.>`) in the results bucket.

KV watchers are ordered push consumers: ephemeral, in the server's memory, so a restarted
nats-server has forgotten them (the known pitfall: a watcher that only waits would see
nothing more). This one remembers the last stream sequence it saw and, on every
reconnection, subscribes again from the next one. nats-py 2.16's own reset (two missed idle
heartbeats, or a sequence gap) stays on as well and, in the restart test, recovers by
itself too when ours is disabled; ours does not depend on the client library's behaviour
and starts at once. Anything seen twice is dropped by its sequence.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from pydantic import ValidationError

from voxnode.cluster import cluster_names as names
from voxnode.cluster.nats_connection import retrying
from voxnode.contracts.cluster_messages import JobOutcome

log = logging.getLogger(__name__)
HEARTBEAT_S = 1.0
"""The server's idle heartbeat to the watcher; two missed ones make nats-py reset it."""


class ResultsWatcher:
    def __init__(
        self, js: JetStreamContext, client_id: str, on_outcome: Callable[[JobOutcome], None]
    ):
        self._js = js
        self._subject = f"$KV.{names.RESULTS_BUCKET}.{client_id}.>"
        self._on_outcome = on_outcome
        self._last_seq = 0
        self._sub: JetStreamContext.PushSubscription | None = None

    async def start(self) -> None:
        await self._subscribe()

    async def resume(self) -> None:
        await self._drop()
        await retrying(self._subscribe, timeout_s=None, what="resume the results watcher")
        log.info("cluster: results watcher resumed after stream sequence %d", self._last_seq)

    async def stop(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _subscribe(self) -> None:
        config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.ALL)
        if self._last_seq:
            config = api.ConsumerConfig(
                deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self._last_seq + 1
            )
        self._sub = await self._js.subscribe(
            self._subject, stream=f"KV_{names.RESULTS_BUCKET}", cb=self._on_msg,
            ordered_consumer=True, idle_heartbeat=HEARTBEAT_S, config=config,
            inactive_threshold=60.0,
        )  # fmt: skip

    async def _on_msg(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self._last_seq:
            return
        self._last_seq = seq
        if msg.headers and msg.headers.get("KV-Operation") in ("DEL", "PURGE"):
            return
        try:
            outcome = JobOutcome.model_validate_json(msg.data)
        except ValidationError:
            log.warning("cluster: unreadable outcome on %s", msg.subject)
            return
        self._on_outcome(outcome)
