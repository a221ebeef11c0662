"""Nodes (real `voxnode up` processes with fake services) joined to a real dev-scheduler."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psutil
import pytest

from voxnode.contracts.node_settings import NodeSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.testing import FakeKnobs, RunningNode, run_node_process, write_fake_package
from voxnode.testing.scheduler_runner import RunningScheduler, run_dev_scheduler

PCM16 = base64.b64encode(b"\x01\x00" * 3200).decode()
FAST_AGENT = {
    "VOXNODE_AGENT__RECONNECT_MIN_S": "0.2",
    "VOXNODE_AGENT__RECONNECT_MAX_S": "1.0",
    "VOXNODE_SUPERVISOR__HEALTH_INTERVAL_S": "0.2",
}
"""Quick reconnection; heartbeat timing stays the default (15 s, 2 s after a change)."""


def wait_for(check: Callable[[], Any], timeout_s: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.05)


def preinstall(home: Path, folder: Path, asr_knobs: FakeKnobs | None = None) -> None:
    """Fake en/zh ASR, translator and zh voice, installed before the node starts."""
    installer = PackageInstaller(NodeHome(home), NodeSettings(home=home).packages)
    NodeHome(home).ensure()
    asr = FakeKnobs(transcript="teh meeting starts now") if asr_knobs is None else asr_knobs
    for service_id, kind, lang, knobs in (
        ("asr-fake", "asr", ["en", "zh"], asr),
        ("nmt-fake", "nmt", ["en", "zh"], None),
        ("tts-fake", "tts", ["zh"], None),
    ):
        package = write_fake_package(
            folder / service_id, service_id=service_id, service_type=kind, lang=lang, knobs=knobs
        )
        installer.install(str(package))


@contextmanager
def joined_node(
    tmp_path: Path, name: str, scheduler: RunningScheduler, asr_knobs: FakeKnobs | None = None
) -> Iterator[RunningNode]:
    """A node with fake services, registered and heartbeating with pairs; its services are
    killed with it even when the test SIGKILLs the node."""
    home = tmp_path / name
    preinstall(home, tmp_path / f"{name}-packages", asr_knobs)
    env = {**FAST_AGENT, "VOXNODE_SCHEDULER_URL": scheduler.ws_url}
    with run_node_process(home, env=env) as node:
        parent = psutil.Process(node.process.pid)
        children: list[psutil.Process] = []
        try:
            wait_for(lambda: scheduler_node(scheduler, node_id_of(node), ready=True), what=name)
            children = parent.children(recursive=True)
            yield node
        finally:
            with suppress(psutil.Error):
                children += parent.children(recursive=True)
            for child in children:
                with suppress(psutil.Error):
                    child.kill()


def agent_of(node: RunningNode) -> dict[str, Any]:
    """The node's GET /v1/agent."""
    with node.client() as client:
        view: dict[str, Any] = client.get("/v1/agent").json()
        return view


def node_id_of(node: RunningNode) -> str | None:
    node_id: str | None = agent_of(node).get("node_id")
    return node_id


def last_heartbeat(scheduler: RunningScheduler, node_id: str | None) -> dict[str, Any]:
    seen = scheduler_node(scheduler, node_id)
    assert seen is not None and seen["heartbeats"], f"no heartbeat from {node_id}"
    beat: dict[str, Any] = seen["heartbeats"][-1]
    return beat


def scheduler_node(
    scheduler: RunningScheduler, node_id: str | None, *, ready: bool = False
) -> dict[str, Any] | None:
    """The scheduler's view of the node; with ready, only once a heartbeat gave it pairs."""
    if node_id is None:
        return None
    with scheduler.client() as client:
        for node in client.get("/v1/nodes").json():
            if node["node_id"] == node_id and (node["pairs"] or not ready):
                found: dict[str, Any] = node
                return found
    return None


def log_of(scheduler: RunningScheduler, **match: Any) -> list[dict[str, Any]]:
    with scheduler.client() as client:
        entries: list[dict[str, Any]] = client.get("/v1/log").json()
    return [e for e in entries if all(e.get(k) == v for k, v in match.items())]


def submit(scheduler: RunningScheduler, wait: bool = True, **fields: Any) -> dict[str, Any]:
    body = {"src_lang": "en", "tgt_lang": "zh", "audio": PCM16, "wait": wait, **fields}
    with scheduler.client(timeout_s=120) as client:
        answer = client.post("/v1/jobs", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[RunningScheduler]:
    with run_dev_scheduler(tmp_path, pending_timeout_s=1.0) as running:
        yield running
