"""The model host (llm-local) behind the node's OpenAI face, with real clients: the official
`openai` package, curl with SSE, and httpx. SmolLM2-135M and Qwen2.5-0.5B keep it quick;
one node for the module with a 4 s idle TTL and a 750 MB budget for the models it holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import psutil
import pytest

from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore
from voxnode.testing import RunningNode, eventually, run_node_process
from voxnode.testing.test_models import SMALL, models_cache_dir

pytestmark = pytest.mark.shares_processes
REPO = Path(__file__).resolve().parents[3]
SECOND = "qwen2.5-coder-0.5b-instruct-q4_k_m"
ASK = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
LONG = [{"role": "user", "content": "Count from 1 to 500, one number per line."}]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    store = ModelStore(models_cache_dir(), ModelCatalog.load())
    for model in (SMALL, SECOND):
        store.pull(model)
    env = {
        "VOXNODE_MODELS__DIR": str(models_cache_dir()),
        "VOXNODE_MODELS__IDLE_TTL_S": "4",
        "VOXNODE_MODELS__MEMORY_BUDGET_MB": "750",
        "VOXNODE_LLM_DEFAULT_MODEL": SMALL,
        "VOXNODE_LLM_N_CTX": "1024",
        "VOXNODE_LLM_PARALLEL": "1",
    }
    home = tmp_path_factory.mktemp("llm") / "home"
    with run_node_process(home, env=env) as running, running.client(timeout_s=120) as api:
        answer = api.post("/v1/services", json={"source": str(REPO / "packages" / "llm-local")})
        assert answer.status_code == 201, answer.text
        eventually(
            lambda: api.get("/v1/services/llm-local").json()["state"] == "ready",
            timeout_s=300, what=lambda: running.log()[-2000:],
        )  # fmt: skip
        yield running


@pytest.fixture
def ai(node: RunningNode) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=node.url + "/v1", api_key="not-needed", max_retries=0) as made:
        yield made


def hosted(node: RunningNode) -> list[dict[str, Any]]:
    with node.client() as api:
        hosts = api.get("/v1/llm/status").json()["hosts"]
    return [model for host in hosts for model in host["models"]]


def test_the_openai_client_streams_and_not(node: RunningNode, ai: openai.OpenAI) -> None:
    whole = ai.chat.completions.create(
        model=SMALL,
        messages=ASK,
        max_tokens=8,
        temperature=0,
        seed=1,  # type: ignore[arg-type]
    )
    assert whole.choices[0].message.content and whole.choices[0].finish_reason in ("stop", "length")
    assert whole.usage is not None and whole.usage.prompt_tokens > 10
    assert whole.usage.completion_tokens <= 8
    stream = ai.chat.completions.create(
        model=SMALL, messages=ASK, max_tokens=8, temperature=0, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True}, seed=1,
    )  # fmt: skip
    pieces, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    assert "".join(pieces) == whole.choices[0].message.content  # greedy: the same answer
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens
    text = ai.completions.create(model=SMALL, prompt="1, 2, 3,", max_tokens=4)
    assert text.choices[0].text


def test_curl_reads_the_server_sent_events(node: RunningNode, ai: openai.OpenAI) -> None:
    body = {"model": "default", "messages": ASK, "max_tokens": 6, "stream": True}
    done = subprocess.run(
        ["curl", "-sN", "-H", "content-type: application/json", "-d", json.dumps(body),
         f"{node.url}/v1/chat/completions"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    events = [line[6:] for line in done.stdout.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["object"] == "chat.completion.chunk"
    assert any(c["choices"] and c["choices"][0]["delta"].get("content") for c in chunks)


def test_errors_come_in_the_openai_shape(node: RunningNode, ai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        ai.chat.completions.create(model="no-such-model", messages=ASK)  # type: ignore[arg-type]
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "MODEL_NOT_FOUND"
    assert error["type"] == "not_found_error" and "no LLM 'no-such-model'" in error["message"]
    with pytest.raises(openai.BadRequestError):
        ai.chat.completions.create(model=SMALL, messages=[])


def test_the_score_route_rates_replies_to_chat_messages(node: RunningNode) -> None:
    """/v1/score with `messages`: each text as the assistant's answer (the chat template);
    context and messages at once is bad input in the documented shape."""
    with node.client() as api:
        answer = api.post("/v1/score", json={"texts": ["Paris", "Berlin"], "messages": ASK})
        assert answer.status_code == 200, answer.text
        paris, berlin = answer.json()["scores"]
        assert berlin < paris < 0
        both = api.post("/v1/score", json={"texts": ["Paris"], "messages": ASK, "context": "Q:"})
    assert both.status_code == 422 and "not both" in both.text


def test_a_second_model_evicts_the_idle_one_under_the_budget(
    node: RunningNode, ai: openai.OpenAI
) -> None:
    ai.chat.completions.create(model=SMALL, messages=ASK, max_tokens=2)  # type: ignore[arg-type]
    (small,) = [m for m in hosted(node) if m["name"] == SMALL]
    ai.chat.completions.create(model=SECOND, messages=ASK, max_tokens=2)  # type: ignore[arg-type]
    assert [m["name"] for m in hosted(node)] == [SECOND]
    eventually(lambda: not psutil.pid_exists(small["pids"][0]), what="the evicted llama-server")


def test_an_idle_model_unloads_after_the_ttl_and_keep_alive_overrides_it(
    node: RunningNode, ai: openai.OpenAI
) -> None:
    ai.chat.completions.create(model=SMALL, messages=ASK, max_tokens=2)  # type: ignore[arg-type]
    (model,) = [m for m in hosted(node) if m["name"] == SMALL]
    assert 0 < model["expires_in_s"] <= 4 and model["memory_mb"] > 50
    eventually(lambda: hosted(node) == [], timeout_s=15, what="the idle unload")
    assert not psutil.pid_exists(model["pids"][0])  # its memory went with the process
    ai.chat.completions.create(
        model=SMALL,
        messages=ASK,
        max_tokens=2,
        extra_body={"keep_alive": 0},  # type: ignore[arg-type]
    )
    assert hosted(node) == []  # keep_alive 0: gone as soon as it answered
    ai.chat.completions.create(
        model=SMALL,
        messages=ASK,
        max_tokens=2,
        extra_body={"keep_alive": -1},  # type: ignore[arg-type]
    )
    (pinned,) = hosted(node)
    assert pinned["expires_in_s"] is None
    with node.client() as api:
        assert api.post("/v1/llm/unload", json={"model": SMALL}).json()["unloaded"] is True
    assert hosted(node) == []


def test_a_client_that_leaves_mid_stream_frees_its_slot(
    node: RunningNode, ai: openai.OpenAI
) -> None:
    body = {"model": SMALL, "messages": LONG, "max_tokens": 900, "stream": True}
    with node.client() as api, api.stream("POST", "/v1/chat/completions", json=body) as response:
        lines = response.iter_lines()
        next(line for line in lines if '"content"' in line)
        (model,) = hosted(node)
        server = model["details"]["server_url"]

    # the connection is closed here; with one slot, the generation must stop at once
    def idle() -> bool:
        slots = httpx.get(server + "/slots", timeout=5, trust_env=False).json()
        return not any(slot["is_processing"] for slot in slots)

    eventually(idle, timeout_s=5, what="llama-server's only slot to stop generating")


def test_a_killed_host_gives_a_clean_error_mid_stream_and_comes_back(
    node: RunningNode, ai: openai.OpenAI
) -> None:
    with node.client() as api:
        pid = api.get("/v1/services/llm-local").json()["pid"]
    stream = ai.chat.completions.create(
        model=SMALL,
        messages=LONG,
        max_tokens=900,
        stream=True,  # type: ignore[arg-type]
    )
    with pytest.raises(openai.APIError) as caught:
        for index, _ in enumerate(stream):
            if index == 3:
                os.kill(pid, signal.SIGKILL)
    assert "STREAM_BROKEN" in str(caught.value.body) or "stopped" in str(caught.value)
    with node.client() as api:
        eventually(
            lambda: api.get("/v1/services/llm-local").json()["state"] == "ready", timeout_s=120,
            what="the restart",
        )  # fmt: skip
    again = ai.chat.completions.create(model=SMALL, messages=ASK, max_tokens=2)  # type: ignore[arg-type]
    assert again.choices[0].message.content is not None


def test_the_cli_chats_lists_and_unloads(node: RunningNode, ai: openai.OpenAI) -> None:
    def voxnode(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "voxnode.cli.main", *args, "--home", str(node.home)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert voxnode("chat", "Say hi.", "--model", SMALL, "--stream", "--max-tokens", "5").strip()
    ai.chat.completions.create(
        model=SMALL,
        messages=ASK,
        max_tokens=2,
        extra_body={"keep_alive": -1},  # type: ignore[arg-type]
    )  # pinned: the module's 4 s idle TTL can pass while two CLI processes start
    listing = voxnode("models", "ps")
    assert SMALL in listing and "llama-server" in listing and "llm-local" in listing
    assert "unloaded" in voxnode("models", "unload", SMALL)
    assert "no model is loaded" in voxnode("models", "ps")
