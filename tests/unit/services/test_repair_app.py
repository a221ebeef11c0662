"""The shared repair service face, driven through FastAPI's TestClient with a fake repairer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from voxnode.contracts.repair import Decision, RepairRequest, RepairResponse
from voxnode.services.common.repair_app import create_repair_app
from voxnode.services.common.repair_settings import RepairServiceSettings
from voxnode.testing import eventually


class SlowUpper:
    name = "slow-upper"

    def __init__(self, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.loaded = threading.Event()
        self.protected_seen: list[list[str]] = []

    def load(self) -> None:
        self.loaded.wait(5)

    def warm_up_request(self) -> RepairRequest:
        return RepairRequest(job_id="w", session_id="w", lang="en", text_in="warm")

    def repair(
        self, request: RepairRequest, *, protected: list[str], deadline: float
    ) -> RepairResponse:
        self.protected_seen.append(protected)
        time.sleep(self.delay_s)
        return RepairResponse(
            decision=Decision.REPAIR, text_out=request.text_in.upper(), confidence=0.9
        )

    def info(self) -> dict[str, Any]:
        return {"engine": "upper"}


BODY = {"job_id": "j", "session_id": "s", "lang": "en", "text_in": "hello"}


@pytest.fixture
def repairer() -> SlowUpper:
    return SlowUpper()


@pytest.fixture
def client(repairer: SlowUpper) -> Iterator[TestClient]:
    settings = RepairServiceSettings(glossary="VoxNode", reject_enabled=True)
    with TestClient(create_repair_app(repairer, settings)) as api:
        yield api


def wait_warm(client: TestClient) -> None:
    eventually(
        lambda: client.get("/health").json()["warmed"],
        timeout_s=5,
        interval_s=0.02,
        what="the service to warm up",
    )


def test_not_ready_until_a_real_repair_went_through(
    client: TestClient, repairer: SlowUpper
) -> None:
    idle = {"load_s": None, "served": 0, "timeouts": 0}
    assert client.get("/health").json() == {"status": "loading", "warmed": False, "detail": idle}
    refused = client.post("/v1/repair", json=BODY)
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "NOT_READY")
    repairer.loaded.set()
    wait_warm(client)
    assert repairer.protected_seen == [["VoxNode"]]  # the warm-up went through repair()
    answer = client.post("/v1/repair", json={**BODY, "meta": {"glossary": ["Acme"]}}).json()
    assert (answer["decision"], answer["text_out"]) == ("REPAIR", "HELLO")
    assert repairer.protected_seen[-1] == ["VoxNode", "Acme"]


def test_past_the_deadline_the_answer_is_pass_timeout(
    client: TestClient, repairer: SlowUpper
) -> None:
    repairer.loaded.set()
    wait_warm(client)
    repairer.delay_s = 1.0
    started = time.monotonic()
    answer = client.post("/v1/repair", json={**BODY, "deadline_ms": 150}).json()
    assert (answer["decision"], answer["text_out"], answer["reason_codes"]) == (
        "PASS",
        "hello",
        ["TIMEOUT"],
    )
    assert time.monotonic() - started < 0.8


def test_garbage_is_rejected_and_bad_requests_get_the_error_shape(
    client: TestClient, repairer: SlowUpper
) -> None:
    repairer.loaded.set()
    wait_warm(client)
    loop = client.post("/v1/repair", json={**BODY, "text_in": "the the the the the the"}).json()
    assert (loop["decision"], loop["reason_codes"]) == ("REJECT", ["REPETITION_LOOP"])
    missing = client.post("/v1/repair", json={"job_id": "j"})
    assert (missing.status_code, missing.json()["error"]["category"]) == (400, "bad_input")
    bad = client.post("/v1/repair", json={**BODY, "meta": {"glossary": "not a list"}})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "BAD_GLOSSARY")


def test_a_repairer_that_fails_to_load_reports_error() -> None:
    class Broken(SlowUpper):
        def load(self) -> None:
            raise FileNotFoundError("zh_CN.lm")

    with TestClient(create_repair_app(Broken(), RepairServiceSettings())) as api:
        health = eventually(
            lambda: (answer := api.get("/health").json())["status"] != "loading" and answer,
            timeout_s=5,
            interval_s=0.02,
            what="the load to end",
        )
        assert health["status"] == "error" and "zh_CN.lm" in health["detail"]["error"]
