"""Shared fixtures: fast supervisor settings, fake packages, and a check that no test leaves
a process behind."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from voxnode.contracts.node_settings import (
    NodeSettings,
    RepairRoutingSettings,
    RepairTriggerSettings,
    SupervisorSettings,
)
from voxnode.testing import FakeKnobs, write_fake_package

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def fast_supervisor(**overrides: Any) -> SupervisorSettings:
    values: dict[str, Any] = dict(
        stop_grace_s=1.0,
        restart_backoff_initial_s=0.05,
        restart_backoff_max_s=0.2,
        crash_loop_max_restarts=3,
        crash_loop_window_s=30.0,
        health_interval_s=0.2,
        health_failures_before_restart=2,
        health_timeout_s=0.5,
        drain_timeout_s=10.0,
    )
    values.update(overrides)
    return SupervisorSettings(**values)


@pytest.fixture
def settings(home: Path) -> NodeSettings:
    """Every sentence goes to repair: routing tests must not depend on the trigger policy
    (tests of the policy set it themselves)."""
    repair = RepairRoutingSettings(en=RepairTriggerSettings(mode="always"))
    return NodeSettings(home=home, port=0, supervisor=fast_supervisor(), repair=repair)


MakePackage = Callable[..., Path]


@pytest.fixture
def make_package(tmp_path: Path) -> MakePackage:
    """make_package(service_id="x", version="1.0.0", knobs=FakeKnobs(...), **manifest_fields)"""
    counter = iter(range(10_000))

    def make(
        service_id: str = "fake-repair", *, knobs: FakeKnobs | None = None, **fields: Any
    ) -> Path:
        folder = tmp_path / "packages" / f"{service_id}-{next(counter)}"
        return write_fake_package(folder, service_id=service_id, knobs=knobs, **fields)

    return make


@pytest.fixture(autouse=True)
def no_process_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if request.node.get_closest_marker("shares_processes") is None:
        _check_no_children()


@pytest.fixture(autouse=True, scope="module")
def no_process_left_after_module() -> Iterator[None]:
    """For modules whose module-scoped fixtures keep services between tests."""
    yield
    _check_no_children()


def _check_no_children() -> None:
    deadline = time.monotonic() + 5.0
    alive: list[psutil.Process] = []
    while time.monotonic() < deadline:
        alive = [p for p in psutil.Process().children(recursive=True) if _running(p)]
        if not alive:
            return
        time.sleep(0.1)
    names = [f"{p.pid} {' '.join(p.cmdline()[:4])}" for p in alive]
    for proc in alive:
        proc.kill()
    pytest.fail(f"processes left behind: {names}")


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
