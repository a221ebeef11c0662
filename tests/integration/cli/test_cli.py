"""The `voxnode` command as a newcomer runs it: real subprocesses, a real node."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from voxnode.testing import FakeKnobs, MakePackage, eventually, free_port, run_node_process
from voxnode.testing.node_runner import run_cli

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello-repair"


voxnode = run_cli


def services(home: Path) -> list[dict[str, Any]]:
    done = voxnode(home, "services", "--json")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def wait_ready(home: Path, service_id: str, timeout_s: float = 20) -> dict[str, Any]:
    """`voxnode services --json` until the service's row says ready; that row."""
    last: dict[str, Any] = {}

    def ready() -> dict[str, Any] | None:
        nonlocal last
        last = next(r for r in services(home) if r["service_id"] == service_id)
        return last if last["state"] == "ready" else None

    return eventually(
        ready, timeout_s=timeout_s, interval_s=0.2, what=lambda: f"{service_id} ready: {last}"
    )


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_readme_walkthrough(home: Path) -> None:
    """Done-when of issue 2: a foreign package installed, ready, repaired through, uninstalled."""
    with run_node_process(home) as node:
        done = voxnode(home, "install-service", str(EXAMPLE))
        assert done.returncode == 0, done.stderr
        row = wait_ready(home, "hello-repair-en")
        done = voxnode(
            home, "repair", "see you next wensday in new york", "--lang", "en",
            "--quality-score", "0.4", "--json",
        )  # fmt: skip
        answer = json.loads(done.stdout)
        assert answer["decision"] == "REPAIR"
        assert answer["text_out"] == "see you next Wednesday in New York"
        assert answer["service_id"] == "hello-repair-en"
        done = voxnode(home, "uninstall-service", "hello-repair-en")
        assert done.returncode == 0, done.stderr
        assert gone(row["pid"])
        assert services(home) == []
        children = psutil.Process(node.process.pid).children(recursive=True)
    assert node.process.returncode is not None
    assert all(gone(child.pid) for child in children)


def test_up_stops_every_child(home: Path, make_package: MakePackage) -> None:
    for name in ("a", "b"):
        assert voxnode(home, "install-service", str(make_package(name))).returncode == 0
    stubborn = make_package("c", knobs=FakeKnobs(ignore_sigterm=True))
    assert voxnode(home, "install-service", str(stubborn)).returncode == 0
    with run_node_process(home, env={"VOXNODE_SUPERVISOR__STOP_GRACE_S": "1"}) as node:
        pids = [wait_ready(home, name)["pid"] for name in ("a", "b", "c")]
        node.stop()
    assert all(gone(pid) for pid in pids)
    assert not (home / "node.json").exists()


def test_port_in_use_is_a_clear_error(home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = voxnode(home, "up", "--port", str(taken.getsockname()[1]), timeout=30)
    assert done.returncode == 1
    assert "error [PORT_IN_USE]" in done.stderr


def test_bad_manifest_without_a_node(home: Path, make_package: MakePackage) -> None:
    folder = make_package("bad")
    manifest = json.loads((folder / "service.json").read_text())
    del manifest["platforms"]["linux"]["command"]
    (folder / "service.json").write_text(json.dumps(manifest))
    done = voxnode(home, "install-service", str(folder))
    assert done.returncode == 1
    assert "error [BAD_MANIFEST]" in done.stderr and "platforms.linux.command" in done.stderr
    assert services(home) == []


def test_unknown_service_and_no_node(home: Path) -> None:
    done = voxnode(home, "uninstall-service", "nope")
    assert (done.returncode, "UNKNOWN_SERVICE" in done.stderr) == (1, True)
    done = voxnode(home, "start", "nope")
    assert (done.returncode, "NODE_NOT_RUNNING" in done.stderr) == (1, True)


def test_node_killed_9_its_orphans_are_ended_at_next_start(
    home: Path, make_package: MakePackage
) -> None:
    assert (
        voxnode(
            home,
            "install-service",
            str(make_package("orphan", knobs=FakeKnobs(ignore_sigterm=True))),
        ).returncode
        == 0
    )
    port = free_port()
    with run_node_process(home, port=port) as node:
        pid = wait_ready(home, "orphan")["pid"]
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        assert not gone(pid)  # the child outlived its node
    env = {"VOXNODE_SUPERVISOR__STOP_GRACE_S": "0.5"}
    with run_node_process(home, env=env, args=("--no-autostart",)):
        eventually(lambda: gone(pid), timeout_s=10, interval_s=0.1, what="the orphan to end")


@pytest.mark.slow
def test_killed_in_the_middle_of_an_install(home: Path, make_package: MakePackage) -> None:
    """kill -9 while the package's venv is being built: no half-installed version remains."""
    assert voxnode(home, "install-service", str(make_package("first"))).returncode == 0
    before = (home / "registry.json").read_bytes()
    slow = make_package("slow", python={"isolated": True, "requirements": ["six==1.16.0"]})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voxnode.cli.main",
            "install-service",
            str(slow),
            "--home",
            str(home),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def building() -> bool:
        assert proc.poll() is None, "install ended before the kill"
        return bool(list((home / "staging").glob("*/package/.venv")))

    eventually(building, timeout_s=60, interval_s=0.02, what="the install to build its venv")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (home / "registry.json").read_bytes() == before
    assert [r["service_id"] for r in services(home)] == ["first"]
    with run_node_process(home, args=("--no-autostart",)):
        pass  # start-up reconciles
    assert not any((home / "staging").iterdir())
    assert sorted(p.name for p in (home / "services").iterdir()) == ["first"]
    done = voxnode(home, "install-service", str(slow), timeout=300)
    assert done.returncode == 0, done.stderr  # the same package installs cleanly afterwards
