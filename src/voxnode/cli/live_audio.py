"""Audio for `voxnode live`: a WAV file played in real time or the microphone in (PCM16
chunks of 100 ms), and the translated audio pieces out (played when `sounddevice` is there,
written to a WAV file when asked or when it is not). Standard library besides sounddevice."""

from __future__ import annotations

import array
import asyncio
import contextlib
import importlib.util
import io
import queue
import threading
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from voxnode.contracts.errors import BadInputError

CHUNK_S = 0.1
MIC_RATE = 16000


def has_sounddevice() -> bool:
    return importlib.util.find_spec("sounddevice") is not None


def read_wav(path: Path) -> tuple[bytes, int]:
    """Mono PCM16 of a WAV file (channels are averaged) and its rate."""
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (OSError, wave.Error, EOFError) as exc:
        raise BadInputError(
            f"{path}: not a readable PCM WAV file ({exc})", code="NO_INPUT"
        ) from exc
    if width != 2:
        raise BadInputError(f"{path}: {8 * width}-bit WAV; give 16-bit PCM", code="NO_INPUT")
    samples = array.array("h", raw)
    if channels > 1:
        samples = array.array("h", (
            sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)
        ))  # fmt: skip
    return samples.tobytes(), rate


async def wav_chunks(pcm: bytes, rate: int, speed: float = 1.0) -> AsyncIterator[bytes]:
    """The recording in 100 ms chunks at the pace it was spoken (`speed` x): each chunk
    once its last sample would have been heard, as a microphone gives it."""
    size = int(rate * CHUNK_S) * 2
    started = time.monotonic()
    for number, offset in enumerate(range(0, len(pcm), size)):
        wait = started + (number + 1) * CHUNK_S / speed - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        yield pcm[offset : offset + size]


async def microphone_chunks(stop: asyncio.Event) -> AsyncIterator[bytes]:
    """The default input device, 16 kHz mono PCM16, until `stop` is set (Ctrl-C)."""
    import sounddevice  # type: ignore[import-not-found, unused-ignore]

    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[bytes] = asyncio.Queue()

    def heard(data: Any, frames: int, when: Any, status: Any) -> None:
        loop.call_soon_threadsafe(chunks.put_nowait, bytes(data))

    with sounddevice.RawInputStream(
        samplerate=MIC_RATE, channels=1, dtype="int16", callback=heard,
        blocksize=int(MIC_RATE * CHUNK_S),
    ):  # fmt: skip
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.2):
                    yield await chunks.get()


class Speaker:
    """Plays PCM16 pieces one after another (a thread, so the stream is never held up) and
    keeps them for `out`."""

    def __init__(self, *, play: bool, out: Path | None):
        self._out = out
        self._pieces: list[tuple[bytes, int]] = []
        self._queue: queue.Queue[tuple[bytes, int] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._play, daemon=True) if play else None
        if self._thread is not None:
            self._thread.start()

    def add(self, pcm: bytes, rate: int) -> None:
        self._pieces.append((pcm, rate))
        if self._thread is not None:
            self._queue.put((pcm, rate))

    def close(self) -> Path | None:
        """Waits until everything was played; the file written, if any."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        if self._out is None or not self._pieces:
            return None
        rate = self._pieces[0][1]
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(b"".join(pcm for pcm, r in self._pieces if r == rate))
        self._out.write_bytes(buffer.getvalue())
        return self._out

    def _play(self) -> None:
        import sounddevice

        while (item := self._queue.get()) is not None:
            pcm, rate = item
            with sounddevice.RawOutputStream(samplerate=rate, channels=1, dtype="int16") as out:
                out.write(pcm)
