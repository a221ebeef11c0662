"""What the scheduler is told about this machine: hardware once, resource usage per beat."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Literal

import psutil

from voxnode.contracts.scheduler_messages import GpuInfo, Hardware, ResourceUsage

log = logging.getLogger(__name__)
NVIDIA_SMI_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class GpuReading:
    name: str
    memory_total_mb: float
    memory_used_mb: float
    utilization_percent: float


def platform_name() -> Literal["windows", "linux", "macos"]:
    if sys.platform.startswith("win"):
        return "windows"
    return "macos" if sys.platform == "darwin" else "linux"


def read_gpus() -> list[GpuReading]:
    """NVIDIA GPUs through nvidia-smi; none when it is missing or fails."""
    program = shutil.which("nvidia-smi")
    if program is None:
        return []
    query = "--query-gpu=name,memory.total,memory.used,utilization.gpu"
    try:
        out = subprocess.run(
            [program, query, "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("nvidia-smi failed: %s", exc)
        return []
    return parse_nvidia_smi(out)


def parse_nvidia_smi(out: str) -> list[GpuReading]:
    readings = []
    for line in out.strip().splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 4:
            continue
        try:
            total, used, util = (float(value) for value in fields[1:])
        except ValueError:  # "[N/A]" on some boards
            continue
        readings.append(GpuReading(fields[0], total, used, util))
    return readings


def hardware(gpus: list[GpuReading]) -> Hardware:
    return Hardware(
        cpu_cores=psutil.cpu_count(logical=True) or 1,
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
        gpus=[GpuInfo(name=g.name, memory_gb=round(g.memory_total_mb / 1024, 1)) for g in gpus]
        or None,
    )


def resource_usage(gpus: list[GpuReading], running_jobs: int) -> ResourceUsage:
    """CPU percent since the previous call (the first call after start says 0)."""
    total_mb = sum(g.memory_total_mb for g in gpus)
    return ResourceUsage(
        cpu_percent=psutil.cpu_percent(interval=None),
        mem_percent=psutil.virtual_memory().percent,
        gpu_percent=round(sum(g.utilization_percent for g in gpus) / len(gpus), 1)
        if gpus
        else None,
        gpu_mem_percent=round(100 * sum(g.memory_used_mb for g in gpus) / total_mb, 1)
        if total_mb
        else None,
        running_jobs=running_jobs,
    )
