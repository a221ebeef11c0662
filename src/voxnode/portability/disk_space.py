"""Running out of disk: checked before a write when the size is known, and an ENOSPC in the
middle of one turned into StorageFullError (code DISK_FULL) that names the path, what was
needed and what is free, after the caller's clean-up removed the half-written part."""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from voxnode.contracts.errors import StorageFullError

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _FULL


def free_bytes(path: Path) -> int:
    """Free bytes on the filesystem of `path` (or of its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def mib(value: int) -> str:
    return f"{value / 2**20:.1f} MiB"


def require_free(path: Path, needed: int, *, what: str) -> None:
    """StorageFullError now, before the first byte, when `needed` bytes do not fit."""
    free = free_bytes(path)
    if needed > free:
        raise StorageFullError(
            f"{what} needs {mib(needed)} on {path}; {mib(free)} are free (free some space "
            "and try again)"
        )


@contextmanager
def disk_full_is_an_error(
    path: Path, *, what: str, needed: Callable[[], int | None] = lambda: None,
    clean_up: Callable[[], None] = lambda: None,
) -> Iterator[None]:  # fmt: skip
    """An ENOSPC/EDQUOT inside the block: `clean_up()`, then StorageFullError naming `path`
    and, when `needed()` knows it, how many bytes the write needed."""
    try:
        yield
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        clean_up()
        size = needed()
        wanted = f"; it needs {mib(size)}" if size else ""
        raise StorageFullError(
            f"disk full while {what} ({path}){wanted}; {mib(free_bytes(path))} free after "
            "removing the unfinished part (free some space and try again)"
        ) from exc
