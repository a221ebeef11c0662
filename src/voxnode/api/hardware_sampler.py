"""CPU, RAM and NVIDIA GPU readings for the dashboard's charts and alerts.

CPU use is worked out from psutil.cpu_times() between two readings, so that the sampler
does not move the baseline of psutil.cpu_percent(), which the scheduler agent reads for its
heartbeats. GPUs come from nvidia-smi (agent.node_facts): none without one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

from voxnode.agent.node_facts import GpuReading, read_gpus

GpuReader = Callable[[], list[GpuReading]]


@dataclass(frozen=True, slots=True)
class HardwareSample:
    at: float
    cpu_percent: float
    """All cores together, since the previous sample (0 for the first one)."""
    ram_percent: float
    ram_used_bytes: int
    ram_total_bytes: int
    gpus: tuple[GpuReading, ...]


def busy_percent(before: Any, after: Any) -> float:
    """The share of CPU time that was not idle between two psutil.cpu_times() readings."""
    total = float(sum(after) - sum(before))
    idle = float(after.idle - before.idle) + float(
        getattr(after, "iowait", 0.0) - getattr(before, "iowait", 0.0)
    )
    if total <= 0:
        return 0.0
    return round(min(max(100.0 * (total - idle) / total, 0.0), 100.0), 1)


class HardwareSampler:
    def __init__(self, *, gpus: GpuReader = read_gpus, clock: Callable[[], float] = time.time):
        self._gpus = gpus
        self._clock = clock
        self._times = psutil.cpu_times()

    def sample(self) -> HardwareSample:
        """Blocks while nvidia-smi runs (up to its timeout): call it in a thread."""
        times = psutil.cpu_times()
        cpu = busy_percent(self._times, times)
        self._times = times
        memory = psutil.virtual_memory()
        return HardwareSample(
            at=self._clock(), cpu_percent=cpu, ram_percent=float(memory.percent),
            ram_used_bytes=int(memory.total - memory.available), ram_total_bytes=int(memory.total),
            gpus=tuple(self._gpus()),
        )  # fmt: skip
