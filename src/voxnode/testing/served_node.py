"""A node app served on a real loopback port by uvicorn in a thread of the test process:
what services need when they call the node back (translation and repair reach the model
host through the node's OpenAI face), with the app's state in reach of the test."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings
from voxnode.testing.waiting import eventually


@dataclass(frozen=True, slots=True)
class ServedNode:
    url: str
    app: FastAPI
    api: httpx.Client
    """A client of its API (base_url set)."""


@contextmanager
def served_node(settings: NodeSettings, *, timeout_s: float = 600) -> Iterator[ServedNode]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(settings.model_copy(update={"host": "127.0.0.1"}), public_url=url)
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_level="warning", ws="websockets-sansio")
    )
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), name="node", daemon=True
    )
    thread.start()
    try:
        eventually(lambda: server.started or not thread.is_alive(), timeout_s=60, what="the node")
        if not thread.is_alive():
            raise RuntimeError("the node stopped while starting")
        with httpx.Client(base_url=url, timeout=timeout_s, trust_env=False) as api:
            yield ServedNode(url, app, api)
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
