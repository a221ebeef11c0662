"""WS /v1/events ends its handler when the client goes away (a real uvicorn, in process)."""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvicorn
from websockets.asyncio.client import connect

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings
from voxnode.testing import eventually_async


@pytest.mark.anyio
async def test_a_client_that_leaves_ends_its_subscription(settings: NodeSettings) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        await eventually_async(lambda: server.started, timeout_s=20, what="the server")
        bus = app.state.node.host.events
        async with connect(f"ws://127.0.0.1:{port}/v1/events") as client:
            await eventually_async(lambda: bus.subscribers == 1, timeout_s=5)
            await client.send("ignored")  # what a client sends is read and dropped
        await eventually_async(lambda: bus.subscribers == 0, timeout_s=5, what="the handler")
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 20)
        listener.close()
