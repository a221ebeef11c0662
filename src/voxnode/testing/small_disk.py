"""A small filesystem of its own for disk-full tests: a tmpfs mounted on a folder.

Needs root (or CAP_SYS_ADMIN); `SmallDiskUnavailable` says why when it cannot be had, so
that a test can skip with that reason.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SmallDiskUnavailable(RuntimeError):
    pass


@contextmanager
def small_disk(folder: Path, size_mib: int = 20) -> Iterator[Path]:
    """`folder`, with a `size_mib` tmpfs mounted on it for the block."""
    folder.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(folder)]
    try:
        done = subprocess.run(mount, capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        raise SmallDiskUnavailable(f"cannot run mount: {exc}") from exc
    if done.returncode != 0:
        raise SmallDiskUnavailable(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30, check=False)
