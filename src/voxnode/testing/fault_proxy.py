"""An HTTP proxy in front of a real server, with faults a test turns on and off: added
latency, an error status (429 with Retry-After too), a stall (the answer never starts), a
stream cut after some chunks. It counts the TCP connections it accepted, so a test can prove
that nothing was sent its way.

    with FaultProxy("http://127.0.0.1:8080") as proxy:
        proxy.status = 503
        ... requests to proxy.url ...
        assert proxy.connections == 0
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FaultProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.delay_s = 0.0
        self.status: int | None = None
        """Answer every request with this status instead of forwarding it."""
        self.retry_after_s: float | None = None
        self.stall = False
        """Accept, then never answer (until the proxy stops)."""
        self.cut_after_chunks: int | None = None
        self.connections = 0
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self._server.on_accept = self._count
        self._thread.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def clear(self) -> None:
        self.delay_s, self.status, self.retry_after_s = 0.0, None, None
        self.stall, self.cut_after_chunks = False, None

    def _count(self) -> None:
        self.connections += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    on_accept: Any = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer is no error of the proxy's."""

    def get_request(self) -> tuple[socket.socket, Any]:
        pair = super().get_request()
        if self.on_accept is not None:
            self.on_accept()
        return pair


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._forward("GET")

        def do_POST(self) -> None:
            self._forward("POST")

        def _forward(self, method: str) -> None:
            try:
                self._relay(method)
            except (BrokenPipeError, ConnectionResetError, httpx.HTTPError):
                self.close_connection = True  # the client (or the upstream) went away

        def _relay(self, method: str) -> None:
            length = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(length) if length else b""
            proxy.requests.append(f"{method} {self.path}")
            if proxy.stall:
                proxy._stop.wait()
                return
            time.sleep(proxy.delay_s)
            if proxy.status is not None:
                self._fault(proxy.status)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            with (
                httpx.Client(timeout=None, trust_env=False) as http,
                http.stream(
                    method, proxy.upstream + self.path, content=body, headers=headers
                ) as upstream,
            ):
                self.send_response(upstream.status_code)
                for key, value in upstream.headers.items():
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for count, chunk in enumerate(upstream.iter_raw()):
                    if proxy.cut_after_chunks is not None and count >= proxy.cut_after_chunks:
                        self.close_connection = True
                        return  # cut: no terminating chunk
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

        def _fault(self, status: int) -> None:
            data = b'{"error": {"message": "injected fault", "type": "server_error"}}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if proxy.retry_after_s is not None:
                self.send_header("Retry-After", f"{proxy.retry_after_s:g}")
            self.end_headers()
            self.wfile.write(data)

    return Handler
