"""Nodes (real `voxnode up` processes with fake services) joined to a real dev-scheduler:
voxnode.testing.joined_node makes them, voxnode.testing.scheduler_runner reads the
scheduler's side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voxnode.testing.scheduler_runner import RunningScheduler, run_dev_scheduler


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[RunningScheduler]:
    with run_dev_scheduler(tmp_path, pending_timeout_s=1.0) as running:
        yield running
