"""A node for the length of one command (translate, demo, eval without a running node): its
API on a free loopback port, so that services reach the model host through it as they do
under `voxnode up`, and its pipeline in this process."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from voxnode.api.node_app import create_app
from voxnode.api.node_state import NodeState
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import NodeSettings


@asynccontextmanager
async def local_node(settings: NodeSettings) -> AsyncIterator[NodeState]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(settings.model_copy(update={"host": "127.0.0.1"}), public_url=url)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", ws="websockets-sansio")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                serving.result()
                raise VoxnodeError("the local node stopped while starting", code="NODE_FAILED")
            await asyncio.sleep(0.02)
        node: NodeState = app.state.node
        yield node
    finally:
        server.should_exit = True
        await serving
        sock.close()
