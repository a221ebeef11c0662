"""Driving WS /v1/stream from tests: speech-like audio without a voice (tone bursts that an
energy VAD hears as speech), played in chunks, and the events gathered by type."""

from __future__ import annotations

import array
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

RATE = 16000
CHUNK_S = 0.1


def tone_bursts(parts: Iterable[tuple[float, bool]], rate: int = RATE) -> bytes:
    """PCM16 of (seconds, voiced) parts: voiced is a 220 Hz tone at -14 dBFS, the rest
    silence."""
    samples = array.array("h")
    for seconds, voiced in parts:
        count = int(seconds * rate)
        if voiced:
            samples.extend(int(9000 * math.sin(2 * math.pi * 220 * n / rate)) for n in range(count))
        else:
            samples.extend([0] * count)
    return samples.tobytes()


def chunks(pcm: bytes, rate: int = RATE, chunk_s: float = CHUNK_S) -> list[bytes]:
    size = int(rate * chunk_s) * 2
    return [pcm[start : start + size] for start in range(0, len(pcm), size)]


def play(send: Callable[[bytes], None], pcm: bytes, *, speed: float = 1.0,
         rate: int = RATE) -> None:  # fmt: skip
    """Send `pcm` in 100 ms chunks, `speed` times faster than real time."""
    started = time.monotonic()
    for number, chunk in enumerate(chunks(pcm, rate)):
        send(chunk)
        wait = started + (number + 1) * CHUNK_S / speed - time.monotonic()
        if wait > 0:
            time.sleep(wait)


def of_type(events: list[dict[str, Any]], kind: str, utterance: int | None = None
            ) -> list[dict[str, Any]]:  # fmt: skip
    return [
        e for e in events
        if e["type"] == kind and (utterance is None or e.get("utterance_index") == utterance)
    ]  # fmt: skip
