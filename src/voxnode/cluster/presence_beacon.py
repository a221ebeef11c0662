"""The node's entry in the presence bucket (`voxnode-nodes`, key = node_id): put every
heartbeat_s and at once when its pairs change; the bucket's TTL drops a node that stopped
putting, and a node that stops cleanly deletes its entry."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from nats.js.kv import KeyValue

from voxnode.cluster.nats_connection import TRANSIENT_NATS_ERRORS
from voxnode.contracts.cluster_messages import NodePresence
from voxnode.contracts.node_settings import ClusterSettings

log = logging.getLogger(__name__)


class PresenceBeacon:
    def __init__(
        self, kv: KeyValue, settings: ClusterSettings, presence: Callable[[], NodePresence]
    ):
        self._kv = kv
        self._settings = settings
        self._presence = presence
        self._change = asyncio.Event()

    def changed(self) -> None:
        self._change.set()

    async def run(self) -> None:
        while True:
            self._change.clear()
            entry = self._presence()
            try:
                await self._kv.put(entry.node_id, entry.model_dump_json().encode())
            except TRANSIENT_NATS_ERRORS as exc:
                log.debug("cluster: presence not put: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._change.wait(), self._settings.heartbeat_s)

    async def withdraw(self, node_id: str) -> None:
        try:
            await asyncio.wait_for(self._kv.delete(node_id), 2.0)
        except Exception as exc:  # best effort: the TTL removes it anyway
            log.debug("cluster: presence not withdrawn: %s", type(exc).__name__)
