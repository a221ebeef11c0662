"""An exclusive lock on a file, across threads and processes, on every platform."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock


@contextmanager
def exclusive_lock(path: Path, *, timeout_s: float | None = None) -> Iterator[None]:
    """Held for the block. `timeout_s` None waits for ever; past it, TimeoutError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(path), timeout=-1 if timeout_s is None else timeout_s)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise TimeoutError(f"{path} is locked by another process") from exc
    try:
        yield
    finally:
        lock.release()
