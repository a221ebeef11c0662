"""Pid files of running services, so a node restarted after a crash can end its orphans."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import psutil

from voxnode.portability.process_group import stop_group

log = logging.getLogger(__name__)


class PidFiles:
    def __init__(self, folder: Path):
        self._folder = folder

    def record(self, *, service_id: str, version: str, pid: int, port: int) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        info = {
            "service_id": service_id,
            "version": version,
            "pid": pid,
            "port": port,
            "create_time": psutil.Process(pid).create_time(),
            "node_pid": os.getpid(),
        }
        (self._folder / f"{pid}.json").write_text(json.dumps(info))

    def forget(self, pid: int) -> None:
        (self._folder / f"{pid}.json").unlink(missing_ok=True)

    def reap_orphans(self, *, grace_s: float) -> list[str]:
        """Terminate the process group of every recorded service still alive; returns ids."""
        reaped = []
        for path in sorted(self._folder.glob("*.json")):
            try:
                info = json.loads(path.read_text())
                proc = psutil.Process(int(info["pid"]))
                if abs(proc.create_time() - float(info["create_time"])) > 0.01:
                    raise psutil.NoSuchProcess(proc.pid)
            except (psutil.Error, ValueError, KeyError, OSError):
                path.unlink(missing_ok=True)
                continue
            log.warning("ending orphan %s (pid %s)", info["service_id"], proc.pid)
            stop_group(proc.pid, grace_s=grace_s)
            reaped.append(str(info["service_id"]))
            path.unlink(missing_ok=True)
        return reaped
