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
  FAKE_TRANSCRIPT      what /v1/transcribe hears (audio must be non-empty base64, else 400)
  FAKE_FAIL_STATUS     answer every /v1/* request with this status and a transient error
  FAKE_TRANSLATION_QUALITY  the quality estimate /v1/translate reports
  FAKE_REPLY           what /v1/chat/completions and /v1/completions answer (type llm)
  FAKE_REQUEST_LOG     append "<path>\\n" to this file (flushed) when each /v1/* POST starts,
                       before FAKE_SLOW_MS and FAKE_CRASH_AFTER act; "<path> aborted" when
                       the caller of a stream went away before its end
  FAKE_BODY_LOG        append {"path", "body"} of each /v1/* POST to this file, one JSON line
  FAKE_WORDS_PER_S     /v1/transcribe hears only the transcript's words this audio can hold
                       (its length x this rate): a growing recording, a growing transcript
  FAKE_PIECE_MS        /v1/translate/stream waits this long before each piece
/v1/translate answers "<tgt_lang>: <text>"; /v1/translate/stream answers the same as SSE
`piece` events cut after punctuation, then `done`; /v1/synthesize answers a WAV of 10 ms
per character of silence at 16 kHz. As a model host (type llm) it answers
/v1/chat/completions and /v1/completions with FAKE_REPLY (default "fake answer"; streamed
word by word, with usage), /v1/host/status with one model "fake-model" and /v1/host/unload.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import io
import json
import os
import re
import signal
import sys
import threading
import time
import wave
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
        self.transcript = os.environ.get("FAKE_TRANSCRIPT", "hello world")
        self.fail_status = int(os.environ.get("FAKE_FAIL_STATUS", "0") or 0)
        self.request_log = os.environ.get("FAKE_REQUEST_LOG")
        self.body_log = os.environ.get("FAKE_BODY_LOG")
        self.words_per_s = float(os.environ.get("FAKE_WORDS_PER_S", "0") or 0)
        self.piece_s = float(os.environ.get("FAKE_PIECE_MS", "0") or 0) / 1000

    def note_request(self, path: str) -> None:
        """One line per /v1/* POST, written before the request is served."""
        if not self.request_log or not path.startswith("/v1/"):
            return
        with self.lock, open(self.request_log, "a", encoding="utf-8") as log:
            log.write(path + "\n")
            log.flush()

    def note_body(self, path: str, raw: bytes) -> None:
        if not self.body_log or not path.startswith("/v1/"):
            return
        try:
            body: Any = json.loads(raw or b"{}")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        line = json.dumps({"path": path, "body": body}, ensure_ascii=False)
        with self.lock, open(self.body_log, "a", encoding="utf-8") as log:
            log.write(line + "\n")

    def heard(self, audio_bytes: int, sample_rate: int) -> str:
        if not self.words_per_s:
            return self.transcript
        words = self.transcript.split()
        seconds = audio_bytes / 2 / max(sample_rate, 1)
        return " ".join(words[: int(seconds * self.words_per_s)])

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


def _bad_input(code: str, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": {"code": code, "category": "bad_input", "message": message}}


def transcribe(state: FakeState, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        audio = base64.b64decode(str(body.get("audio", "")), validate=True)
    except (binascii.Error, ValueError):
        return _bad_input("BAD_AUDIO", "audio must be base64")
    if not audio:
        return _bad_input("EMPTY_AUDIO", "the audio is empty")
    language = body.get("language") or "en"
    text = state.heard(len(audio), int(body.get("sample_rate") or 16000))
    return 200, {
        "text": text, "language": language, "language_probability": 0.99,
        "segments": [], "duration": len(audio) / 32000, "quality_score": 0.9,
        "process_time_ms": state.slow_s * 1000,
    }  # fmt: skip


def translate(body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "text": f"{body.get('tgt_lang')}: {body.get('text')}",
        "process_time_ms": 0.0,
    }
    quality = os.environ.get("FAKE_TRANSLATION_QUALITY")
    if quality:
        answer["quality"] = float(quality)
    return answer


def translation_pieces(body: dict[str, Any]) -> list[str]:
    """The translation cut after each punctuation mark that a space follows."""
    text = str(translate(body)["text"])
    pieces = [p.strip() for p in re.split(r"(?<=[,.!?，。！？]) ", text)]
    return [piece for piece in pieces if piece]


def synthesize(body: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(b"\0\0" * 160 * len(str(body.get("text", ""))))
    return out.getvalue()


def _words(body: dict[str, Any]) -> int:
    messages = body.get("messages") or [{"content": body.get("prompt", "")}]
    return sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))


def generation(body: dict[str, Any], chat: bool) -> tuple[dict[str, Any], list[bytes]]:
    """The whole answer, and the SSE events of the same answer streamed."""
    words = os.environ.get("FAKE_REPLY", "fake answer").split(" ")
    usage = {"prompt_tokens": _words(body), "completion_tokens": len(words)}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    kind = "chat.completion" if chat else "text_completion"
    head = {"id": "fake-1", "created": int(time.time()), "model": body.get("model", "default")}
    text = " ".join(words)
    choice = (
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        if chat else {"index": 0, "text": text, "finish_reason": "stop"}
    )  # fmt: skip
    whole = {**head, "object": kind, "choices": [choice], "usage": usage}
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
    chunks: list[dict[str, Any]] = []
    if chat:
        chunks.append({"index": 0, "delta": {"role": "assistant", "content": ""}})
    for piece in pieces:
        chunks.append({"index": 0, "delta": {"content": piece}} if chat
                      else {"index": 0, "text": piece})  # fmt: skip
    chunks.append({"index": 0, "delta": {}, "finish_reason": "stop"} if chat
                  else {"index": 0, "text": "", "finish_reason": "stop"})  # fmt: skip
    kind_chunk = "chat.completion.chunk" if chat else "text_completion"
    events = [{**head, "object": kind_chunk, "choices": [c]} for c in chunks]
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append({**head, "object": kind_chunk, "choices": [], "usage": usage})
    sse = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
    return whole, [*sse, b"data: [DONE]\n\n"]


HOST_STATUS = {
    "models": [{
        "name": "fake-model", "engine": "fake", "loaded_at": STARTED, "idle_s": 1.0,
        "expires_in_s": 599.0, "in_use": 0, "memory_mb": 42.0, "pids": [], "details": {},
    }],
    "default_model": "fake-model", "idle_ttl_s": 600.0,
}  # fmt: skip


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

        def _send_audio(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Sample-Rate", "16000")
            self.send_header("X-Audio-Duration", f"{(len(data) - 44) / 32000:.3f}")
            self.end_headers()
            self.wfile.write(data)

        def _send_events(self, events: list[bytes]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
            for event in events:
                self.wfile.write(event)
                self.wfile.flush()
                time.sleep(0.01)

        def _stream_translation(self, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            pieces = translation_pieces(body)
            try:
                for index, piece in enumerate(pieces):
                    time.sleep(state.piece_s)
                    data = json.dumps({"index": index, "text": piece})
                    self.wfile.write(f"event: piece\ndata: {data}\n\n".encode())
                    self.wfile.flush()
                done = {"text": " ".join(pieces), "engine": "fake", "issues": []}
                self.wfile.write(f"event: done\ndata: {json.dumps(done)}\n\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                state.note_request(self.path + " aborted")

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
            state.note_request(self.path)
            length = int(self.headers.get("Content-Length", "0") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            state.note_body(self.path, raw)
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
            if state.fail_status:
                error = {"code": "FAKE_FAILURE", "category": "transient", "message": "knob"}
                self._send(state.fail_status, {"error": error})
            elif self.path == "/v1/repair":
                self._send(200, repair(state, body))
            elif self.path == "/v1/transcribe":
                self._send(*transcribe(state, body))
            elif self.path == "/v1/translate":
                self._send(200, translate(body))
            elif self.path == "/v1/translate/stream":
                self._stream_translation(body)
            elif self.path == "/v1/synthesize":
                self._send_audio(synthesize(body))
            elif self.path in ("/v1/chat/completions", "/v1/completions"):
                whole, events = generation(body, chat=self.path == "/v1/chat/completions")
                if body.get("stream"):
                    self._send_events(events)
                else:
                    self._send(200, whole)
            elif self.path == "/v1/host/status":
                self._send(200, HOST_STATUS)
            elif self.path == "/v1/host/unload":
                self._send(200, {"model": body.get("model"), "unloaded": True})
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
