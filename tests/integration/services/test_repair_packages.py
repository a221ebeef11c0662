"""The shipped repair packages, installed into a real node and reached through POST /v1/repair.

Real subprocesses, the real libime KenLM and confusion data (pulled once into the test model
cache from the Debian mirror and PyPI), the real 1.5B LLM for English (marked `models`).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import ModelSettings, NodeSettings, RepairTriggerSettings
from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore
from voxnode.services.repair.settings import ZhMargins
from voxnode.testing import eventually, wait_state
from voxnode.testing.served_node import served_node
from voxnode.testing.test_models import DEFAULT, models_cache_dir

PACKAGES = Path(__file__).parents[3] / "packages"


@pytest.fixture(scope="module")
def models_dir() -> Path:
    store = ModelStore(models_cache_dir(), ModelCatalog.load())
    for name in ("libime-zh-lm", "pycorrector-zh-data"):
        store.pull(name)
    return models_cache_dir()


@pytest.fixture
def node(settings: NodeSettings, models_dir: Path) -> Iterator[TestClient]:
    repair = settings.repair.model_copy(update={"en": RepairTriggerSettings(mode="policy")})
    configured = settings.model_copy(
        update={"models": ModelSettings(dir=models_dir), "repair": repair}
    )
    with TestClient(create_app(configured)) as api:
        yield api


def install(api: httpx.Client, name: str, timeout_s: float = 120) -> dict[str, Any]:
    response = api.post("/v1/services", json={"source": str(PACKAGES / name)})
    assert response.status_code in (200, 201), response.text
    return wait_state(api, name, "ready", timeout_s=timeout_s)


def repair(api: httpx.Client, text: str, lang: str, **extra: Any) -> dict[str, Any]:
    body = {"job_id": "j", "session_id": "s-" + lang, "lang": lang, "text_in": text} | extra
    response = api.post("/v1/repair", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_zh_repair_and_en_normalize_through_the_node(node: TestClient) -> None:
    install(node, "semantic-repair-zh")
    install(node, "en-normalize")

    info = node.get("/v1/services/semantic-repair-zh").json()
    facts = httpx.get(f"http://127.0.0.1:{info['port']}/info", timeout=5).json()
    assert facts["engine"] == "kenlm+pinyin"
    assert facts["margins"] == ZhMargins().model_dump()  # the shipped defaults, really used
    fixed = repair(node, "明天下午三点在會議是开会", "zh")
    assert (fixed["decision"], fixed["text_out"]) == ("REPAIR", "明天下午三点在会议室开会")
    assert fixed["service_id"] == "semantic-repair-zh"
    assert {"TRADITIONAL_TO_SIMPLIFIED", "HOMOPHONE_REPAIRED"} <= set(fixed["reason_codes"])
    demo = repair(node, "我们明天需要翻译证份合同请在周五之前发给我", "zh")  # `make demo`'s
    assert demo["text_out"] == "我们明天需要翻译这份合同请在周五之前发给我"  # Whisper error
    clean = repair(node, "现在世界各国的汽车厂家都在加大力度开发燃料电池技术。", "zh")
    assert clean["decision"] == "PASS"
    kept = repair(node, "明天在会议是开会", "zh", meta={"glossary": ["会议是"]})
    assert kept["text_out"] == "明天在会议是开会"

    written = repair(node, "send fifty dollars to a b at g mail dot com", "en")
    assert written["text_out"] == "Send fifty dollars to ab@gmail.com"  # numbers: off by default
    numbers = {"normalize": {"normalize_numbers": True}}
    written = repair(node, "send fifty dollars to a b at g mail dot com", "en", meta=numbers)
    assert written["text_out"] == "Send $50 to ab@gmail.com"
    assert repair(node, "ja", "ja")["reason_codes"] == ["SERVICE_NOT_INSTALLED_OR_UNSUPPORTED_LANG"]


def test_a_killed_zh_service_degrades_to_pass_and_comes_back(node: TestClient) -> None:
    status = install(node, "semantic-repair-zh")
    os.kill(int(status["pid"]), signal.SIGKILL)
    answer = repair(node, "我们在会议是开会", "zh", deadline_ms=500)
    assert answer["decision"] == "PASS" and answer["text_out"] == "我们在会议是开会"
    eventually(
        lambda: (
            node.get("/v1/services/semantic-repair-zh").json().get("pid")
            not in (None, status["pid"])
        ),
        timeout_s=120,
        interval_s=0.2,
        what="the supervisor to restart the service (a new pid)",
    )
    wait_state(node, "semantic-repair-zh", "ready", timeout_s=120)
    again = repair(node, "我们在会议是开会", "zh", session_id="fresh")
    assert again["text_out"] == "我们在会议室开会"


@pytest.fixture
def served(settings: NodeSettings, models_dir: Path) -> Iterator[httpx.Client]:
    """A node on a real port: English repair scores through the node's model host."""
    repair = settings.repair.model_copy(update={"en": RepairTriggerSettings(mode="policy")})
    configured = settings.model_copy(
        update={"models": ModelSettings(dir=models_dir), "repair": repair}
    )
    with served_node(configured) as node:
        yield node.api


@pytest.mark.models
def test_en_llm_repair_through_the_node(served: httpx.Client) -> None:
    from voxnode.models.model_store import ModelStore as Store

    node = served
    Store(models_cache_dir(), ModelCatalog.load()).pull(DEFAULT)
    install(node, "llm-local", timeout_s=600)
    info = install(node, "semantic-repair-en", timeout_s=600)
    facts = httpx.get(f"http://127.0.0.1:{info['port']}/info", timeout=5).json()
    assert facts["policy"]["max_word_change"] == 0 and facts["health"]["ok"]
    wrong = "we need the whether report before the meeting"
    nbest = [wrong, wrong.replace("whether", "weather"), wrong.replace("the meeting", "meeting")]
    answer = repair(node, wrong, "en", meta={"nbest": nbest}, deadline_ms=20000)
    fixed = "We need the weather report before the meeting"
    assert (answer["decision"], answer["text_out"]) == ("REPAIR", fixed)
    assert "LLM_REPAIR_APPLIED" in answer["reason_codes"]
    assert "CANDIDATE_REJECTED:WORD_COUNT_CHANGED" in answer["reason_codes"]
    confident = repair(
        node, "i want to buy a ticket", "en", meta={"nbest": ["i want to buy a ticket"] * 5}
    )
    # not triggered, and no en-normalize installed here: nothing touched the text
    assert (confident["decision"], confident["text_out"]) == ("PASS", "i want to buy a ticket")
    assert "NOT_TRIGGERED" in confident["reason_codes"]
