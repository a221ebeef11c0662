"""Hybrid routing with real parts: the local model host (llm-local on SmolLM2) and a "cloud"
that is an independent llama-server with an API key, behind a fault proxy the tests
control. One node for the module; each test sets the routing it needs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import ModelSettings, NodeSettings
from voxnode.contracts.routing_settings import CloudBackend, RoutingSettings, StageRouting
from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore
from voxnode.testing import FakeKnobs, MakePackage, fast_supervisor, wait_state
from voxnode.testing.cloud_server import cloud_llama_server
from voxnode.testing.fault_proxy import FaultProxy
from voxnode.testing.test_models import SMALL, models_cache_dir

pytestmark = pytest.mark.shares_processes
REPO = Path(__file__).resolve().parents[3]
KEY = "sk-test-0123456789"
ASK = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def cloud() -> Iterator[FaultProxy]:
    model = ModelStore(models_cache_dir(), ModelCatalog.load()).pull(SMALL)
    with cloud_llama_server(model, KEY) as base, FaultProxy(base.removesuffix("/v1")) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, cloud: FaultProxy) -> Iterator[TestClient]:
    settings = NodeSettings(
        home=tmp_path_factory.mktemp("routing") / "home", port=0,
        supervisor=fast_supervisor(), models=ModelSettings(dir=models_cache_dir()),
    )  # fmt: skip
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VOXNODE_LLM_DEFAULT_MODEL", SMALL)
        env.setenv("VOXNODE_LLM_N_CTX", "1024")
        env.setenv("VOXNODE_LLM_PARALLEL", "1")
        with TestClient(create_app(settings)) as api:
            source = str(REPO / "packages" / "llm-local")
            assert api.post("/v1/services", json={"source": source}).status_code == 201
            wait_state(api, "llm-local", "ready", timeout_s=300)
            yield api


def route(node: TestClient, cloud: FaultProxy, *, key: str = KEY, **stages: StageRouting) -> None:
    backend = CloudBackend(
        name="cloud", base_url=cloud.url + "/v1", model="cloud-model", api_key=SecretStr(key),
        stages=["llm", "nmt"], first_token_timeout_s=2.0, cooldown_s=0.5,
    )  # fmt: skip
    node.app.state.node.client.routing = RoutingSettings(cloud=[backend], **stages)  # type: ignore[attr-defined]
    cloud.clear()
    cloud.connections = 0
    cloud.requests.clear()


def chat(node: TestClient, *, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    payload = {"messages": ASK, "max_tokens": 4, "temperature": 0, **body}
    return node.post("/v1/chat/completions", json=payload, headers=headers or {})


def way(response: httpx.Response) -> tuple[str, str]:
    route_, reason = response.headers["X-VoxNode-Route"].split("; reason=")
    return route_, reason


def test_local_mode_never_opens_a_connection_to_the_cloud(
    node: TestClient, cloud: FaultProxy
) -> None:
    route(node, cloud)  # every stage local: the default
    for _ in range(3):
        answer = chat(node)
        assert answer.status_code == 200, answer.text
        assert way(answer) == ("local", "MODE_LOCAL")
    assert cloud.connections == 0 and cloud.requests == []


def test_api_mode_asks_the_cloud_and_says_so(node: TestClient, cloud: FaultProxy) -> None:
    route(node, cloud, llm=StageRouting(mode="api"))
    answer = chat(node)
    assert answer.status_code == 200, answer.text
    assert way(answer) == ("cloud", "MODE_API")
    assert answer.headers["X-VoxNode-Service"] == "cloud:cloud"
    assert cloud.requests == ["POST /v1/chat/completions"]
    streamed = chat(node, stream=True)
    assert way(streamed) == ("cloud", "MODE_API") and "data: [DONE]" in streamed.text


def test_hybrid_sends_a_long_chat_to_the_cloud_and_a_short_one_home(
    node: TestClient, cloud: FaultProxy
) -> None:
    route(node, cloud, llm=StageRouting(mode="hybrid", long_context_tokens=100))
    assert way(chat(node)) == ("local", "HYBRID_LOCAL")
    long = [{"role": "user", "content": "word " * 100 + "Say hello."}]
    assert way(chat(node, messages=long)) == ("cloud", "LONG_CONTEXT")
    metrics = node.get("/metrics").text
    assert 'voxnode_routes_total{reason="LONG_CONTEXT",route="cloud",stage="llm"} 1.0' in metrics


def test_the_request_overrides_the_mode_by_header_or_body(
    node: TestClient, cloud: FaultProxy
) -> None:
    route(node, cloud)
    assert way(chat(node, headers={"X-VoxNode-Route": "cloud"})) == ("cloud", "OVERRIDE_CLOUD")
    route(node, cloud, llm=StageRouting(mode="api"))
    assert way(chat(node, route="local")) == ("local", "OVERRIDE_LOCAL")
    assert cloud.connections == 0


def test_a_failing_or_stalled_cloud_falls_back_home(node: TestClient, cloud: FaultProxy) -> None:
    """How fast is bench/routing_overhead.py's to measure; here: that it does."""
    route(node, cloud, llm=StageRouting(mode="api"))
    cloud.status = 503
    answer = chat(node)
    assert answer.status_code == 200 and way(answer) == ("local", "FAILOVER")
    route(node, cloud, llm=StageRouting(mode="api"))
    cloud.stall = True  # a cloud that never starts its answer: bounded by first_token_timeout
    assert way(chat(node, stream=True)) == ("local", "FAILOVER")
    route(node, cloud, llm=StageRouting(mode="api"))
    cloud.cut_after_chunks = 2  # a stream cut after it began is not replayed: an error event
    cut = chat(node, stream=True, max_tokens=40)
    assert way(cut) == ("cloud", "MODE_API") and '"code":"STREAM_BROKEN"' in cut.text


def test_a_failing_local_host_falls_back_to_the_cloud(node: TestClient, cloud: FaultProxy) -> None:
    route(node, cloud, llm=StageRouting(mode="hybrid"))
    node.post("/v1/services/llm-local/stop")
    try:
        answer = chat(node, model="default")
        assert answer.status_code == 200, answer.text
        # stopped: started on demand, or the cloud; with on-demand start the local one wins
        assert way(answer)[0] in ("local", "cloud")
    finally:
        node.post("/v1/services/llm-local/start")
        wait_state(node, "llm-local", "ready", timeout_s=120)


def test_a_wrong_key_is_a_clear_permanent_error_with_no_retry_storm(
    node: TestClient, cloud: FaultProxy
) -> None:
    route(node, cloud, key="sk-wrong", llm=StageRouting(mode="api", fallback=False))
    answer = chat(node)
    assert answer.status_code == 502, answer.text
    error = answer.json()["error"]
    assert error["code"] == "CLOUD_AUTH_FAILED" and error["category"] == "permanent"
    assert "sk-wrong" not in answer.text and KEY not in answer.text
    assert cloud.requests == ["POST /v1/chat/completions"]  # asked once, not again
    route(node, cloud, key="sk-wrong", llm=StageRouting(mode="api"))
    assert way(chat(node)) == ("local", "FAILOVER")


def test_a_rate_limited_cloud_is_left_alone_for_its_retry_after(
    node: TestClient, cloud: FaultProxy
) -> None:
    route(node, cloud, llm=StageRouting(mode="api"))
    cloud.status, cloud.retry_after_s = 429, 30
    assert way(chat(node)) == ("local", "FAILOVER")
    cloud.clear()
    assert way(chat(node)) == ("local", "FAILOVER")  # still within its Retry-After
    assert cloud.requests == ["POST /v1/chat/completions"]


def test_a_translation_weak_at_home_is_translated_again_in_the_cloud(
    node: TestClient, cloud: FaultProxy, make_package: MakePackage
) -> None:
    weak = FakeKnobs(extra_env={"FAKE_TRANSLATION_QUALITY": "0.1"})
    source = str(make_package("nmt-weak", service_type="nmt", lang=["en", "zh"], knobs=weak))
    assert node.post("/v1/services", json={"source": source}).status_code == 201
    wait_state(node, "nmt-weak", "ready")
    try:
        route(node, cloud, nmt=StageRouting(mode="hybrid", quality_under=0.4))
        body = {"src_lang": "en", "tgt_lang": "zh", "text": "Good morning.", "want_audio": False,
                "want_repair": False}  # fmt: skip
        result = node.post("/v1/jobs", json=body).json()
        assert (
            result["routes"]["nmt"] == "cloud" and result["route_reasons"]["nmt"] == "LOW_QUALITY"
        )
        assert result["services"]["nmt"] == "cloud:cloud"
        route(node, cloud)  # local: the weak answer stands, the cloud is not asked
        result = node.post("/v1/jobs", json={**body, "session_id": "b"}).json()
        assert result["text_translated"] == "zh: Good morning."
        assert result["routes"]["nmt"] == "local" and cloud.connections == 0
    finally:
        node.delete("/v1/services/nmt-weak")
