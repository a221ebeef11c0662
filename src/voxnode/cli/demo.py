"""`voxnode demo`: the foundation end to end, printed step by step.

A node on a throwaway home, an example package (one VoxNode did not write) installed while it
runs, its readiness, a repair routed to it through POST /v1/repair, its uninstall, the node's
shutdown with no process left behind.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import typer

from voxnode.testing.node_runner import run_node_process

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hello-repair"


def run_demo(package: Path | None) -> int:
    package = (package or EXAMPLE).resolve()
    if not (package / "service.json").is_file():
        typer.echo(f"no package at {package} (pass --package FOLDER)", err=True)
        return 1
    with (
        tempfile.TemporaryDirectory(prefix="voxnode-demo-") as tmp,
        run_node_process(Path(tmp)) as node,
    ):
        typer.echo(f"1. node up on {node.url} (dashboard there), home {tmp}")
        with node.client() as api:
            started = time.perf_counter()
            status = _ok(api.post("/v1/services", json={"source": str(package)}))
            typer.echo(f"2. installed {status['service_id']} {status['version']} while running")
            status = _wait_ready(api, status["service_id"])
            typer.echo(
                f"3. {status['service_id']} is {status['state']} on port {status['port']} "
                f"({time.perf_counter() - started:.2f} s after the install request)"
            )
            text = "i want to by two tickets to new york for next wensday"
            body = {  # quality_score: the ASR was unsure, so the trigger policy sends it on
                "job_id": "demo-1", "session_id": "demo", "lang": "en", "text_in": text,
                "quality_score": 0.5,
            }  # fmt: skip
            answer = _ok(api.post("/v1/repair", json=body))
            typer.echo(f"4. POST /v1/repair  in : {text}")
            typer.echo(
                f"                    out: {answer['text_out']}  [{answer['decision']} "
                f"by {answer['service_id']}, {answer['process_time_ms']:.1f} ms]"
            )
            zh = _ok(api.post("/v1/repair", json={**body, "lang": "zh", "text_in": "今天天气很好"}))
            typer.echo(
                f"5. zh has no repair service installed: {zh['decision']} {zh['reason_codes']}"
            )
            pid = status["pid"]
            api.delete(f"/v1/services/{status['service_id']}").raise_for_status()
            typer.echo(
                f"6. uninstalled while running; its process {pid} alive: {psutil.pid_exists(pid)}"
            )
        code = node.stop()
        typer.echo(f"7. node stopped (exit {code})")
    return 0


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise typer.BadParameter(f"HTTP {response.status_code}: {response.text}")
    payload: dict[str, Any] = response.json()
    return payload


def _wait_ready(api: httpx.Client, service_id: str, timeout_s: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status = _ok(api.get(f"/v1/services/{service_id}"))
        if status["state"] in ("ready", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)
