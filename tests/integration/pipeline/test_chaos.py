"""The chaos bench's short variant: jobs from concurrent clients while a random service is
SIGKILLed twice a second; every job is answered, none fails (bench/chaos_jobs.py is the
1,000-job run)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from voxnode.testing import wait_state
from voxnode.testing.chaos import NODE_ENV, fake_packages, run_chaos, silence_wav
from voxnode.testing.node_runner import run_node_process

pytestmark = pytest.mark.slow


def test_no_job_is_lost_while_services_are_killed(tmp_path: Path) -> None:
    with run_node_process(tmp_path / "home", env=NODE_ENV, ready_timeout_s=60) as node:
        with node.client() as api:
            ids = []
            for source in fake_packages(tmp_path / "packages"):
                response = api.post("/v1/services", json={"source": str(source)})
                assert response.status_code == 201, response.text
                ids.append(response.json()["service_id"])
            for service_id in ids:
                wait_state(api, service_id, "ready", timeout_s=60)
        report = asyncio.run(run_chaos(
            node.url, jobs=80, clients=6, victims=ids, kill_every_s=0.5,
            speech={"zh": silence_wav(), "en": silence_wav()},
        ))  # fmt: skip
    print(report.line("chaos"), dict(report.degraded_stages), dict(report.kills))
    assert sum(report.kills.values()) >= 3, "the chaos did not happen"
    assert report.lost == 0, report.lost_reasons
    assert report.answered == 80
    assert report.statuses["failed"] == 0, report.statuses
