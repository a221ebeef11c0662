"""`voxnode up` stops on SIGTERM and Ctrl-C with the dashboard's WebSocket open, within a
bound even while a request is still running, and every service stops with it."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.sync.client import connect

from voxnode.contracts.node_settings import NodeSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.testing import FakeKnobs, MakePackage, RunningNode, eventually, run_node_process

QUICK_STOP = {"VOXNODE_SUPERVISOR__STOP_GRACE_S": "1"}


def preinstall(home: Path, *packages: Path) -> None:
    installer = PackageInstaller(NodeHome(home), NodeSettings(home=home).packages)
    for package in packages:
        installer.install(str(package))


def ready_pid(node: RunningNode, service_id: str) -> int:
    with node.client() as http:

        def ready() -> int | None:
            status = http.get(f"/v1/services/{service_id}").json()
            return int(status["pid"]) if status.get("state") == "ready" else None

        return eventually(ready, timeout_s=30, what=f"{service_id} to be ready")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_an_open_events_socket_does_not_hold_the_node(
    tmp_path: Path, make_package: MakePackage, sig: signal.Signals
) -> None:
    """The graceful-shutdown bound is set high (60 s): the handler itself must end."""
    home = tmp_path / "home"
    preinstall(home, make_package("fake-en"))
    env = {**QUICK_STOP, "VOXNODE_SHUTDOWN_TIMEOUT_S": "60"}
    with run_node_process(home, env=env) as node:
        pid = ready_pid(node, "fake-en")
        events_url = node.url.replace("http://", "ws://") + "/v1/events"
        with connect(events_url, open_timeout=10) as socket:
            snapshot = json.loads(socket.recv(timeout=10))
            assert (snapshot["service_id"], snapshot["data"]["state"]) == ("fake-en", "ready")
            started = time.monotonic()
            node.process.send_signal(sig)
            node.process.wait(timeout=20)
            took = time.monotonic() - started
    assert took < 8.0, f"the node took {took:.1f} s to stop: {node.log()[-1500:]}"
    assert "Waiting for background tasks" not in node.log()
    assert gone(pid), "the service outlived its node"
    assert not (home / "node.json").exists()


def test_a_request_still_running_is_cut_at_the_shutdown_bound(
    tmp_path: Path, make_package: MakePackage
) -> None:
    """A translation that would take 60 s (its budget: 30 s) is cancelled after the bound
    (2 s), then the services stop: the node is gone well before the request would end."""
    home = tmp_path / "home"
    slow = FakeKnobs(slow_ms=60_000)
    preinstall(home, make_package("nmt-slow", service_type="nmt", lang=["en", "zh"], knobs=slow))
    env = {**QUICK_STOP, "VOXNODE_SHUTDOWN_TIMEOUT_S": "2"}
    with run_node_process(home, env=env) as node:
        pid = ready_pid(node, "nmt-slow")
        outcome: list[object] = []

        def job() -> None:
            body = {"src_lang": "en", "tgt_lang": "zh", "text": "hello", "want_audio": False}
            try:
                with node.client(timeout_s=90) as http:
                    outcome.append(http.post("/v1/jobs", json=body).status_code)
            except httpx.HTTPError as exc:
                outcome.append(type(exc).__name__)

        client = threading.Thread(target=job)
        client.start()
        time.sleep(1.0)  # the job is at the translator
        started = time.monotonic()
        node.process.send_signal(signal.SIGTERM)
        node.process.wait(timeout=30)
        took = time.monotonic() - started
        client.join(timeout=30)
    assert took < 8.0, f"the node took {took:.1f} s to stop: {node.log()[-1500:]}"
    assert "timeout graceful shutdown exceeded" in node.log()
    assert outcome and outcome[0] != 200, outcome
    assert gone(pid)
