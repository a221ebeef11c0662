"""A fake VoxNode service: a real stdlib HTTP server with knobs for faults (contract 2).

Standard library only, so it also runs inside an isolated venv with nothing installed.
Knobs (environment variables):
  FAKE_LOAD_DELAY_S    seconds of "model loading" before /health says ok and warmed
  FAKE_CRASH_AT_START  exit with code 3 before listening, after writing to stderr
  FAKE_CRASH_AFTER     exit with code 4 after this many /v1/* requests
  FAKE_IGNORE_SIGTERM  ignore SIGTERM (the supervisor must SIGKILL it)
  FAKE_NEVER_READY     /health stays "loading" forever
  FAKE_SLOW_MS         every /v1/* request takes this long
  FAKE_UNHEALTHY_FILE  while this file exists, /health answers "error"
  FAKE_REPAIR_FROM/TO  the repair it applies (default: "teh" -> "the")
  FAKE_REPORT_MODULE   import this module and report its __version__ in /info
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STARTED = time.time()


class FakeState:
    def __init__(self) -> None:
        self.requests = 0
        self.lock = threading.Lock()
        self.loaded_at: float | None = None
        self.load_s = float(os.environ.get("FAKE_LOAD_DELAY_S", "0") or 0)
        self.crash_after = int(os.environ.get("FAKE_CRASH_AFTER", "0") or 0)
        self.slow_s = float(os.environ.get("FAKE_SLOW_MS", "0") or 0) / 1000
        self.never_ready = os.environ.get("FAKE_NEVER_READY") == "1"
        self.unhealthy_file = os.environ.get("FAKE_UNHEALTHY_FILE")
        self.repair_from = os.environ.get("FAKE_REPAIR_FROM", "teh")
        self.repair_to = os.environ.get("FAKE_REPAIR_TO", "the")

    def load(self) -> None:
        time.sleep(self.load_s)
        self.loaded_at = time.time()

    def health(self) -> dict[str, Any]:
        if self.unhealthy_file and os.path.exists(self.unhealthy_file):
            return {"status": "error", "warmed": False, "detail": {"reason": "unhealthy file"}}
        ready = self.loaded_at is not None and not self.never_ready
        return {
            "status": "ok" if ready else "loading",
            "warmed": ready,
            "detail": {
                "load_s": self.load_s,
                "process_started_at": STARTED,
                "ready_at": self.loaded_at,
                "pid": os.getpid(),
            },
        }


def info(state: FakeState) -> dict[str, Any]:
    result: dict[str, Any] = {
        "service_id": os.environ.get("VOXNODE_SERVICE_ID", "fake"),
        "pid": os.getpid(),
        "port": int(os.environ.get("PORT", "0")),
        "python": sys.executable,
        "requests": state.requests,
    }
    manifest = os.path.join(os.environ.get("VOXNODE_SERVICE_DIR", "."), "service.json")
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as handle:
            result["version"] = json.load(handle).get("version")
    module = os.environ.get("FAKE_REPORT_MODULE")
    if module:
        result["module_version"] = getattr(importlib.import_module(module), "__version__", None)
    return result


def repair(state: FakeState, body: dict[str, Any]) -> dict[str, Any]:
    text = str(body.get("text_in", ""))
    fixed = text.replace(state.repair_from, state.repair_to)
    changed = fixed != text
    return {
        "decision": "REPAIR" if changed else "PASS",
        "text_out": fixed,
        "confidence": 0.9 if changed else 1.0,
        "reason_codes": (["FAKE_REPAIR"] if changed else [])
        + ([f"CONTEXT={body['micro_context']}"] if body.get("micro_context") else []),
        "diff": (
            [
                {
                    "from": state.repair_from,
                    "to": state.repair_to,
                    "position": text.find(state.repair_from),
                }
            ]
            if changed
            else []
        ),
        "process_time_ms": state.slow_s * 1000,
    }


def make_handler(state: FakeState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            sys.stdout.write("request: " + (format % args) + "\n")

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._send(200, state.health())
            elif self.path == "/info":
                self._send(200, info(state))
            else:
                self._send(
                    404,
                    {"error": {"code": "NOT_FOUND", "category": "bad_input", "message": self.path}},
                )

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            with state.lock:
                state.requests += 1
                count = state.requests
            if state.crash_after and count > state.crash_after:
                sys.stderr.write(f"fake: crashing after {state.crash_after} requests\n")
                sys.stderr.flush()
                os._exit(4)
            time.sleep(state.slow_s)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._send(
                    400,
                    {"error": {"code": "BAD_JSON", "category": "bad_input", "message": "not JSON"}},
                )
                return
            if self.path == "/v1/repair":
                self._send(200, repair(state, body))
            elif self.path == "/v1/echo":
                self._send(200, {"echo": body, "pid": os.getpid()})
            else:
                self._send(
                    404,
                    {"error": {"code": "NOT_FOUND", "category": "bad_input", "message": self.path}},
                )

    return Handler


def main() -> None:
    if os.environ.get("FAKE_CRASH_AT_START") == "1":
        sys.stderr.write("fake: model file is corrupt, cannot start\n")
        sys.stderr.flush()
        sys.exit(3)
    if os.environ.get("FAKE_IGNORE_SIGTERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    state = FakeState()
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), make_handler(state))
    server.daemon_threads = True
    threading.Thread(target=state.load, daemon=True).start()
    sys.stdout.write(f"fake service listening on {server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
