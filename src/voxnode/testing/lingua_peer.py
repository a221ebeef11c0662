"""A scheduler peer for tests, written from lingua1.md's field lists alone: a plain
WebSocket server that hands each node connection to the test, which speaks plain dicts
(none of VoxNode's contracts, so that the node is checked against lingua's shapes)."""

from __future__ import annotations

import json
import queue
import threading
import time
from types import TracebackType
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve

from voxnode.supervisor.port_choice import free_port


class LinguaPeer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ws/node"
        self._connections: queue.Queue[ServerConnection] = queue.Queue()
        self._done = threading.Event()
        self._server: Server | None = None

    def __enter__(self) -> LinguaPeer:
        self._server = serve(self._handler, "127.0.0.1", self.port)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        if self._server is not None:
            self._server.shutdown()

    def connection(self, timeout_s: float = 20.0) -> ServerConnection:
        """The newest node connection (older ones were given up by their node)."""
        newest = self._connections.get(timeout=timeout_s)
        while not self._connections.empty():  # drains what is queued; never waits
            newest = self._connections.get_nowait()
        return newest

    def _handler(self, connection: ServerConnection) -> None:
        self._connections.put(connection)
        self._done.wait()


def receive(connection: ServerConnection, kind: str, timeout_s: float = 15.0) -> dict[str, Any]:
    """The next message of this type within `timeout_s` (others, such as heartbeats, are
    skipped); AssertionError naming the skipped types when none comes."""
    deadline = time.monotonic() + timeout_s
    skipped: list[str] = []
    while True:  # reads the socket until the message arrives
        left = deadline - time.monotonic()
        try:
            raw = connection.recv(timeout=max(left, 0.0))
        except TimeoutError:
            raise AssertionError(
                f"no {kind} within {timeout_s:g} s (received only: {skipped or 'nothing'})"
            ) from None
        message: dict[str, Any] = json.loads(raw)
        if message["type"] == kind:
            return message
        skipped.append(str(message["type"]))


def register(connection: ServerConnection, node_id: str) -> dict[str, Any]:
    """Take the node's node_register and answer it as lingua does."""
    message = receive(connection, "node_register")
    ack = {"type": "node_register_ack", "node_id": node_id, "message": "registered",
           "status": "registering"}  # fmt: skip
    connection.send(json.dumps(ack))
    return message


def heartbeat_with_pairs(connection: ServerConnection, timeout_s: float = 20.0) -> dict[str, Any]:
    """The first heartbeat within `timeout_s` that offers a language pair (services come up
    after registration)."""
    deadline = time.monotonic() + timeout_s
    while True:  # reads heartbeats until one has pairs
        beat = receive(connection, "node_heartbeat", max(deadline - time.monotonic(), 0.0))
        if beat["language_capabilities"]["pairs"]:
            return beat
