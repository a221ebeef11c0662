"""Fixtures for tests that run a node in process (real lifespan, real child processes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings
from voxnode.testing.small_disk import SmallDiskUnavailable
from voxnode.testing.small_disk import small_disk as mount_small_disk


@pytest.fixture
def api(settings: NodeSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 20 MiB filesystem of its own (a tmpfs); skipped where it cannot be mounted."""
    try:
        with mount_small_disk(tmp_path / "small-disk", size_mib=20) as folder:
            yield folder
    except SmallDiskUnavailable as exc:
        pytest.skip(f"no small disk for this test: {exc}")
