"""Fixtures for tests that run a node in process (real lifespan, real child processes)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings


@pytest.fixture
def api(settings: NodeSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def wait_state(
    api: TestClient, service_id: str, state: str, timeout_s: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status: dict[str, Any] = api.get(f"/v1/services/{service_id}").json()
        if status.get("state") == state:
            return status
        assert time.monotonic() < deadline, f"{service_id} stayed {status}"
        time.sleep(0.05)
