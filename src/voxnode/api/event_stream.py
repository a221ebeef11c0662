"""WS /v1/events: a snapshot of every service's state, then each event as it happens.

The handler ends as soon as the connection does, whoever closes it: the client going away,
or uvicorn closing every connection at shutdown. It reads the socket while it waits for
events, because a handler that only waits on its queue never sees the close and keeps the
server "waiting for background tasks" forever.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from fastapi import WebSocket, WebSocketDisconnect

from voxnode.contracts.node_event import NodeEvent
from voxnode.pipeline.event_bus import EventBus


async def stream_events(socket: WebSocket, bus: EventBus, snapshot: Iterable[NodeEvent]) -> None:
    """Accept, send `snapshot`, then forward `bus` events until the connection closes."""
    await socket.accept()
    with bus.subscribe() as queue:
        try:
            for event in snapshot:
                await socket.send_text(event.model_dump_json())
        except (WebSocketDisconnect, RuntimeError):
            return  # closed while the snapshot went out

        async def forward() -> None:
            while True:
                await socket.send_text((await queue.get()).model_dump_json())

        async def until_closed() -> None:
            while (await socket.receive())["type"] != "websocket.disconnect":
                pass  # the dashboard sends nothing; anything it does send is ignored

        tasks = [asyncio.create_task(forward()), asyncio.create_task(until_closed())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:  # a send into a closed socket raises; the end is the same
                with contextlib.suppress(
                    asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError
                ):
                    await task
