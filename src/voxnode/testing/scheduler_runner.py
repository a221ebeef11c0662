"""Run `voxnode dev-scheduler` in a subprocess for tests (kill it, start it again), and read
what it saw: its nodes, their heartbeats, every message it received."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from voxnode.supervisor.port_choice import free_port
from voxnode.testing.fake_speech import PCM16
from voxnode.testing.node_runner import wait_for_health
from voxnode.testing.waiting import eventually


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

    def log(self, **match: Any) -> list[dict[str, Any]]:
        """GET /v1/log: every message received, in arrival order; only the entries whose
        fields equal `match` (type, node_id, job_id, code, ...)."""
        with self.client() as client:
            entries: list[dict[str, Any]] = client.get("/v1/log").json()
        return [e for e in entries if all(e.get(k) == v for k, v in match.items())]

    def node(self, node_id: str | None, *, ready: bool = False) -> dict[str, Any] | None:
        """The scheduler's view of the node; with ready, only once a heartbeat gave it pairs."""
        if node_id is None:
            return None
        with self.client() as client:
            for node in client.get("/v1/nodes").json():
                if node["node_id"] == node_id and (node["pairs"] or not ready):
                    found: dict[str, Any] = node
                    return found
        return None

    def last_heartbeat(self, node_id: str | None) -> dict[str, Any]:
        seen = self.node(node_id)
        assert seen is not None and seen["heartbeats"], f"no heartbeat from {node_id}"
        beat: dict[str, Any] = seen["heartbeats"][-1]
        return beat

    def submit(self, *, wait: bool = True, **fields: Any) -> dict[str, Any]:
        """POST /v1/jobs (en -> zh, PCM16 audio unless `fields` say otherwise): the job's view,
        with its outcome when `wait`."""
        body = {"src_lang": "en", "tgt_lang": "zh", "audio": PCM16, "wait": wait, **fields}
        with self.client(timeout_s=120) as client:
            answer = client.post("/v1/jobs", json=body)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def barrier(self, node_id: str, timeout_s: float = 20.0) -> None:
        """Return once everything `node_id` had sent before this call has been received.

        Sends the node a node_control it does not know; the node answers node_error
        UNKNOWN_COMMAND through the same FIFO outbox and connection as all its messages,
        and this scheduler logs what it receives in arrival order. So when that answer is
        in the log, whatever the node had put in its outbox before is in the log too: a
        test can say "this never came" without sleeping.
        """
        match = {"node_id": node_id, "type": "node_error", "code": "UNKNOWN_COMMAND"}
        before = len(self.log(**match))
        with self.client() as client:
            sent = client.post(
                f"/v1/nodes/{node_id}/control", json={"command": "barrier", "reason": "test"}
            )
        assert sent.status_code == 200, sent.text
        eventually(
            lambda: len(self.log(**match)) > before,
            timeout_s=timeout_s,
            what=f"{node_id} to answer the barrier (node_error UNKNOWN_COMMAND)",
        )


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
