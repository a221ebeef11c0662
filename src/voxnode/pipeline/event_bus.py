"""Fan-out of node events to subscribers (WS /v1/events, the agent)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from voxnode.contracts.node_event import NodeEvent


class EventBus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[NodeEvent]] = set()

    def publish(self, event: NodeEvent) -> None:
        for queue in self._queues:
            if queue.full():  # a slow subscriber loses its oldest events, never blocks the node
                queue.get_nowait()
            queue.put_nowait(event)

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    @contextlib.contextmanager
    def subscribe(self, maxsize: int = 256) -> Iterator[asyncio.Queue[NodeEvent]]:
        queue: asyncio.Queue[NodeEvent] = asyncio.Queue(maxsize)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)
