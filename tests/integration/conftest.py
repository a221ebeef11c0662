"""Fixtures for tests that run a node in process (real lifespan, real child processes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings


@pytest.fixture
def api(settings: NodeSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client
