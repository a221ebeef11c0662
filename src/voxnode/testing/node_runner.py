"""Run a real `voxnode up` in a subprocess for tests and the demo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from voxnode.supervisor.port_choice import free_port
from voxnode.testing.waiting import eventually


class NodeStartError(RuntimeError):
    pass


@dataclass(slots=True)
class RunningNode:
    url: str
    home: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, timeout_s: float = 60.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout_s, trust_env=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def agent(self) -> dict[str, Any]:
        """GET /v1/agent: the scheduler connection's state (node_id, running_jobs, ...)."""
        with self.client() as client:
            view: dict[str, Any] = client.get("/v1/agent").json()
        return view

    def node_id(self) -> str | None:
        """The node_id its scheduler gave it (None before the first registration)."""
        node_id: str | None = self.agent().get("node_id")
        return node_id

    def stop(self, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@contextmanager
def run_node_process(
    home: Path,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    ready_timeout_s: float = 30.0,
) -> Iterator[RunningNode]:
    """Start `voxnode up` on `home`, wait for its /health, stop it (SIGTERM) on exit."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "node-process.log"
    argv = [
        sys.executable,
        "-m",
        "voxnode.cli.main",
        "up",
        "--home",
        str(home),
        "--port",
        str(port),
        *args,
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    node = RunningNode(
        url=f"http://127.0.0.1:{port}", home=home, process=process, log_path=log_path
    )
    try:
        _wait_healthy(node, ready_timeout_s)
        yield node
    finally:
        node.stop()


def _wait_healthy(node: RunningNode, timeout_s: float) -> None:
    wait_for_health(node.url, node.process, node.log, timeout_s, NodeStartError)


def wait_for_health(
    url: str,
    process: subprocess.Popen[bytes],
    log: Callable[[], str],
    timeout_s: float,
    error: type[Exception] = RuntimeError,
) -> None:
    """Until GET url/health answers 200; `error` with the log's tail if the process exits
    or the time runs out."""
    with httpx.Client(base_url=url, timeout=2.0, trust_env=False) as client:

        def healthy() -> bool:
            if process.poll() is not None:
                raise error(f"{process.args!r} exited with {process.returncode}: {log()[-2000:]}")
            try:
                return client.get("/health").status_code == 200
            except httpx.HTTPError:
                return False

        try:
            eventually(healthy, timeout_s=timeout_s, interval_s=0.1, what=f"{url}/health")
        except AssertionError:
            raise error(f"{url} not healthy within {timeout_s} s: {log()[-2000:]}") from None


def run_cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`voxnode ARGS --home HOME` in a subprocess, as a user types it."""
    return subprocess.run(
        [sys.executable, "-m", "voxnode.cli.main", *args, "--home", str(home)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
