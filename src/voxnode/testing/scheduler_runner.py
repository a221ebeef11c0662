"""Run `voxnode dev-scheduler` in a subprocess for tests (kill it, start it again)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from voxnode.supervisor.port_choice import free_port
from voxnode.testing.node_runner import wait_for_health


@dataclass(slots=True)
class RunningScheduler:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/node"

    def client(self, timeout_s: float = 60.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout_s, trust_env=False)

    def kill(self) -> None:
        """SIGKILL: no goodbye to the nodes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def run_dev_scheduler(
    log_dir: Path,
    *,
    port: int | None = None,
    job_timeout_s: float = 60.0,
    pending_timeout_s: float = 10.0,
) -> Iterator[RunningScheduler]:
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"dev-scheduler-{port}.log"
    argv = [
        sys.executable, "-m", "voxnode.cli.main", "dev-scheduler", "--port", str(port),
        "--job-timeout-s", str(job_timeout_s), "--pending-timeout-s", str(pending_timeout_s),
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    scheduler = RunningScheduler(port, process, log_path)
    try:
        wait_for_health(scheduler.url, process, log_path.read_text, timeout_s=30.0)
        yield scheduler
    finally:
        scheduler.kill()
