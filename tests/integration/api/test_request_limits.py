"""Load limits: a service's max_concurrency holds, excess requests queue, a full queue gets
503 with Retry-After; an oversized body gets 413. Real node on a real port, fake services."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from voxnode.contracts.node_settings import NodeSettings
from voxnode.testing import FakeKnobs, MakePackage, wait_state
from voxnode.testing.served_node import served_node


def test_a_full_queue_is_refused_with_retry_after(
    settings: NodeSettings, make_package: MakePackage
) -> None:
    one_waiting = settings.supervisor.model_copy(update={"queue_per_place": 1})
    with served_node(settings.model_copy(update={"supervisor": one_waiting})) as node:
        folder = make_package(
            "slow-llm", service_type="llm", lang=None, max_concurrency=1,
            knobs=FakeKnobs(slow_ms=1500),
        )  # fmt: skip
        assert node.api.post("/v1/services", json={"source": str(folder)}).status_code == 201
        wait_state(node.api, "slow-llm", "ready")
        body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}

        def ask(_: int) -> httpx.Response:
            with httpx.Client(base_url=node.url, timeout=60, trust_env=False) as client:
                return client.post("/v1/chat/completions", json=body)

        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(ask, range(3)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 200, 503], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 503)
    assert refused.json()["error"]["code"] == "SERVICE_BUSY"
    assert int(refused.headers["Retry-After"]) >= 1


def test_an_oversized_body_is_refused_before_it_is_read(settings: NodeSettings) -> None:
    small = settings.model_copy(update={"max_request_mb": 0.01})
    with served_node(small) as node:
        response = node.api.post("/v1/jobs", content=b"x" * 20_000,
                                 headers={"content-type": "application/json"})  # fmt: skip
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "REQUEST_TOO_LARGE"

        def chunks() -> object:
            for _ in range(5):
                yield b" " * 4096

        chunked = node.api.post("/v1/jobs", content=chunks(),
                                headers={"content-type": "application/json"})  # fmt: skip
        assert chunked.status_code == 413
        assert node.api.get("/health").status_code == 200
