"""How much RAM and GPU memory is free right now (for admission before a model loads)."""

from __future__ import annotations

import shutil
import subprocess

import psutil


def free_ram_mb() -> int:
    return int(psutil.virtual_memory().available // (1024 * 1024))


def free_vram_mb() -> int | None:
    """Free memory of the emptiest NVIDIA GPU, or None where there is none (or no driver)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run(
            [smi, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    values = [int(line) for line in out.split() if line.strip().isdigit()]
    return max(values) if values else None


def on_here(switch: str) -> bool:
    """An auto|on|off setting read on this machine: on, or auto where an NVIDIA GPU is."""
    return switch == "on" or (switch == "auto" and free_vram_mb() is not None)
