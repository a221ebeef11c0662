"""A service's stdout and stderr: a rotated log file plus a short tail kept for errors."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import TextIO


def log_path(logs_dir: Path, service_id: str) -> Path:
    """Where a service's log file is (the older ones beside it end in .1, .2, ...)."""
    return logs_dir / f"{service_id}.log"


def read_tail(path: Path, lines: int, *, block: int = 64 * 1024) -> list[str]:
    """The last `lines` lines of the log, reaching into the rotated `.1` file when the
    current one holds fewer; reads from the end, never the whole file."""
    found = _tail_of(path, lines, block)
    if len(found) < lines:
        found = _tail_of(path.with_name(f"{path.name}.1"), lines - len(found), block) + found
    return found


def _tail_of(path: Path, lines: int, block: int) -> list[str]:
    try:
        handle = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return []
    with handle:
        end = handle.seek(0, 2)
        data = b""
        position = end
        while position > 0 and data.count(b"\n") <= lines:
            step = min(block, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    text = data.decode("utf-8", errors="replace").splitlines()
    return text[-lines:] if lines else []


class ServiceLog:
    def __init__(self, path: Path, *, max_bytes: int, backups: int, tail_lines: int = 40):
        self.path = path
        self._max_bytes = max_bytes
        self._backups = backups
        self._tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: TextIO | None = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, stream: str, line: str) -> None:
        line = line.rstrip("\n")
        if stream == "stderr":
            self._tail.append(line)
        if self._handle is None:
            return
        self._handle.write(f"[{stream}] {line}\n")
        self._handle.flush()
        if self._handle.tell() >= self._max_bytes:
            self._rotate()

    def note(self, line: str) -> None:
        """A line from the supervisor itself (spawn, exit, kill)."""
        self.write("voxnode", line)

    def tail(self, lines: int = 10) -> str:
        return " | ".join(list(self._tail)[-lines:])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _rotate(self) -> None:
        assert self._handle is not None
        self._handle.close()
        for index in range(self._backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        if self._backups:
            self.path.replace(self.path.with_name(f"{self.path.name}.1"))
        else:
            self.path.unlink()
        self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
