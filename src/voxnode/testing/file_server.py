"""A real HTTP file server on loopback that misbehaves on request, for download tests.

Serves named byte strings with Range support. Per file it can cut the connection after N
bytes on the first K requests, stall, or answer 404; it records every request (path and
Range header) so that a test can check what was fetched and how often.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class ServedFile:
    data: bytes
    cut_after: int | None = None
    """Close the connection after this many body bytes ..."""
    cut_times: int = 0
    """... on this many requests."""
    stall_s: float = 0.0
    """Sleep this long before the body (once), as a stalled server does."""
    ignore_range: bool = False
    delay_per_chunk_s: float = 0.0


@dataclass
class FileServer:
    files: dict[str, ServedFile] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FileServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Range")))
                served = server.files.get(self.path)
                if served is None:
                    self.send_error(404)
                    return
                start = 0
                header = self.headers.get("Range")
                if header and not served.ignore_range:
                    start = int(header.removeprefix("bytes=").split("-")[0])
                    if start >= len(served.data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(served.data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    end = len(served.data) - 1
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(served.data)}")
                else:
                    self.send_response(200)
                body = served.data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if served.stall_s:
                    stall, served.stall_s = served.stall_s, 0.0
                    time.sleep(stall)
                if served.cut_times > 0 and served.cut_after is not None:
                    served.cut_times -= 1
                    self.wfile.write(body[: served.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                for offset in range(0, len(body), 1 << 16):
                    self.wfile.write(body[offset : offset + (1 << 16)])
                    if served.delay_per_chunk_s:
                        time.sleep(served.delay_per_chunk_s)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def full_downloads(self, path: str) -> int:
        return sum(1 for p, r in self.requests if p == path and r is None)
