"""Shared fixtures: a clean environment, fast supervisor settings, fake packages, and a
check that no test leaves a process behind."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from voxnode.contracts.node_settings import (
    NodeSettings,
    RepairRoutingSettings,
    RepairTriggerSettings,
)
from voxnode.testing import FakeKnobs, MakePackage, eventually, fast_supervisor, write_fake_package

KEPT_VARIABLES = frozenset({"VOXNODE_TEST_MODELS"})


def _clear_developer_settings() -> list[str]:
    """Remove every `VOXNODE_*` variable from this process's environment, before any test
    module is imported, and return their names.

    NodeSettings (and every service's settings) read `VOXNODE_*` variables, and the node
    processes the tests start inherit this environment: a developer's own VOXNODE_HOME,
    VOXNODE_PORT, VOXNODE_SCHEDULER_URL or VOXNODE_REPAIR_* would otherwise change what the
    tests see, and they would pass or fail by who runs them. Tests that need a variable set
    it themselves (monkeypatch, or the `env` of the process they start).

    Kept: VOXNODE_TEST_MODELS, which says only where the real test models are cached (see
    voxnode.testing.test_models); it changes no behaviour under test, and clearing it would
    pull gigabytes again into the default cache.
    """
    cleared = sorted(n for n in os.environ if n.startswith("VOXNODE_") and n not in KEPT_VARIABLES)
    for name in cleared:
        del os.environ[name]
    return cleared


CLEARED_VARIABLES = _clear_developer_settings()


def pytest_report_header() -> str | None:
    if not CLEARED_VARIABLES:
        return None
    return f"cleared developer settings for this session: {', '.join(CLEARED_VARIABLES)}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home: Path) -> NodeSettings:
    """Every sentence goes to repair: routing tests must not depend on the trigger policy
    (tests of the policy set it themselves)."""
    repair = RepairRoutingSettings(en=RepairTriggerSettings(mode="always"))
    return NodeSettings(home=home, port=0, supervisor=fast_supervisor(), repair=repair)


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
    """Children get 5 s to go (a stopped service may still be exiting); then they are
    killed and the test fails naming them."""
    alive: list[psutil.Process] = []

    def all_gone() -> bool:
        nonlocal alive
        alive = [p for p in psutil.Process().children(recursive=True) if _running(p)]
        return not alive

    try:
        eventually(all_gone, timeout_s=5.0, interval_s=0.1, what="child processes to end")
    except AssertionError:
        names = [f"{p.pid} {' '.join(_cmdline(p)[:4])}" for p in alive]
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        pytest.fail(f"processes left behind: {names}")


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return ["(gone)"]
