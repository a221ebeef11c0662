"""One install, upgrade or uninstall at a time per node home, across threads and processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from voxnode.contracts.errors import ConflictError
from voxnode.portability.file_lock import exclusive_lock


@contextmanager
def install_lock(path: Path, *, timeout_s: float) -> Iterator[None]:
    try:
        with exclusive_lock(path, timeout_s=timeout_s):
            yield
    except TimeoutError:
        raise ConflictError("another install is still running", code="INSTALL_BUSY") from None
