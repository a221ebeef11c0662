"""A child in its own process group, and signals to the whole group (children the service
spawned go with it). POSIX: a new session and killpg; Windows: CREATE_NEW_PROCESS_GROUP and
psutil over the process tree."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from typing import Any

import psutil

WINDOWS = sys.platform.startswith("win")


def group_spawn_options() -> dict[str, Any]:
    """Keyword arguments for subprocess.Popen / asyncio.create_subprocess_exec."""
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def terminate_group(pid: int) -> None:
    """Ask the group led by `pid` to stop (SIGTERM)."""
    _signal(pid, kill=False)


def kill_group(pid: int) -> None:
    """End the group led by `pid` now (SIGKILL)."""
    _signal(pid, kill=True)


def group_alive(pid: int) -> bool:
    if WINDOWS:
        return bool(psutil.pid_exists(pid))
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_group(pid: int, *, grace_s: float) -> None:
    """Terminate, wait up to `grace_s`, then kill (blocking)."""
    terminate_group(pid)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and group_alive(pid):
        time.sleep(0.05)
    kill_group(pid)


def _signal(pid: int, *, kill: bool) -> None:
    if WINDOWS:
        with contextlib.suppress(psutil.Error):
            leader = psutil.Process(pid)
            for proc in [*leader.children(recursive=True), leader]:
                with contextlib.suppress(psutil.Error):
                    proc.kill() if kill else proc.terminate()
        return
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL if kill else signal.SIGTERM)
