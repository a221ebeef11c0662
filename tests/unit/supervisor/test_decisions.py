"""Pure decisions of the supervisor, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxnode.supervisor.health_report import parse_health
from voxnode.supervisor.port_choice import choose_port
from voxnode.supervisor.restart_policy import RestartPolicy, restart_delay
from voxnode.supervisor.service_log import ServiceLog


@pytest.mark.parametrize(
    ("declared", "free", "expected"),
    [(5015, {5015}, 5015), (5015, set(), 40000), (0, {5015}, 40000)],
)
def test_choose_port(declared: int, free: set[int], expected: int) -> None:
    assert choose_port(declared, is_free=free.__contains__, pick_free=lambda: 40000) == expected


POLICY = RestartPolicy(backoff_initial_s=1, backoff_max_s=5, max_restarts=4, window_s=60)


@pytest.mark.parametrize(
    ("history", "now", "expected"),
    [
        ([], 100, 1.0),
        ([99], 100, 2.0),
        ([98, 99], 100, 4.0),
        ([97, 98, 99], 100, 5.0),  # capped
        ([96, 97, 98, 99], 100, None),  # crash loop
        ([1, 2, 3, 4], 100, 1.0),  # old restarts fall out of the window
    ],
)
def test_restart_delay(history: list[float], now: float, expected: float | None) -> None:
    assert restart_delay(POLICY, history, now) == expected


@pytest.mark.parametrize(
    ("payload", "ready"),
    [
        ({"status": "ok", "warmed": True}, True),
        ({"status": "ok", "warmed": False}, False),
        ({"status": "ok"}, False),  # warmed is required: no hard-coded readiness
        ({"status": "loading", "warmed": True}, False),
        ({"status": "ok", "warmed": "yes"}, False),
        (["ok"], False),
    ],
)
def test_readiness_needs_ok_and_warmed(payload: object, ready: bool) -> None:
    assert parse_health(payload).ready is ready


def test_service_log_rotates_and_keeps_stderr_tail(tmp_path: Path) -> None:
    log = ServiceLog(tmp_path / "svc.log", max_bytes=200, backups=2)
    for index in range(50):
        log.write("stderr" if index % 2 else "stdout", f"line {index} " + "x" * 20)
    log.close()
    assert (tmp_path / "svc.log.1").exists() and (tmp_path / "svc.log.2").exists()
    assert not (tmp_path / "svc.log.3").exists()
    assert log.tail(2) == f"line 47 {'x' * 20} | line 49 {'x' * 20}"
