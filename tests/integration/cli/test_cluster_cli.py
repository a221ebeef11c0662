"""`voxnode dispatch` and `voxnode cluster status` as subprocesses against a real
nats-server and a real cluster-mode node."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

pytest.importorskip("nats", reason="cluster mode needs the cluster extra (nats-py)")

from voxnode.testing.cluster_checks import ZH_EN, needs_nats_server, wait_for_nodes
from voxnode.testing.cluster_nodes import run_cluster_node
from voxnode.testing.nats_runner import run_nats_server

pytestmark = [pytest.mark.shares_processes, needs_nats_server]


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("cli-site")
    with (
        run_nats_server(root / "nats") as nats,
        run_cluster_node(root / "a", nats.url, node_id="a"),
    ):
        anyio.run(wait_for_nodes, nats.url, {"a": ZH_EN})
        yield nats.url


def voxnode(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voxnode.cli.main", *args, "--home", str(home)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_dispatch_a_jsonl_file_prints_each_session_in_order(nats_url: str, tmp_path: Path) -> None:
    lines = [
        {"session_id": f"s{i % 2}", "text": f"line {i} of the file", "want_audio": False}
        for i in range(6)
    ]
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    done = voxnode(tmp_path, "dispatch", str(jobs), "--src", "zh", "--tgt", "en",
                   "--nats", nats_url, "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    outcomes = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(outcomes) == 6 and {o["kind"] for o in outcomes} == {"result"}
    for session in ("s0", "s1"):
        mine = [o for o in outcomes if o["session_id"] == session]
        assert [o["utterance_index"] for o in mine] == [0, 1, 2]
        assert [o["result"]["text_translated"] for o in mine] == [
            f"en: line {i} of the file" for i in range(int(session[1]), 6, 2)
        ]


def test_dispatch_an_audio_file_writes_the_translation(nats_url: str, tmp_path: Path) -> None:
    audio = tmp_path / "speech.pcm"
    audio.write_bytes(b"\x01\x00" * 3200)
    done = voxnode(tmp_path, "dispatch", str(audio), "--src", "zh", "--tgt", "en",
                   "--nats", nats_url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "result  node a  attempt 1" in done.stdout and "en: hello world" in done.stdout


def test_dispatch_refuses_what_no_pair_can_carry(nats_url: str, tmp_path: Path) -> None:
    jobs = tmp_path / "same.jsonl"
    jobs.write_text(json.dumps({"text": "x", "src_lang": "en", "tgt_lang": "en"}) + "\n")
    done = voxnode(tmp_path, "dispatch", str(jobs), "--nats", nats_url)
    assert done.returncode == 1 and "error [SAME_LANGUAGE]" in done.stderr
    done = voxnode(tmp_path, "dispatch", str(jobs))
    assert done.returncode == 1 and "error [NO_NATS]" in done.stderr
    nobody = tmp_path / "ja.jsonl"  # no node hears Japanese
    nobody.write_text(json.dumps({"text": "x", "src_lang": "ja", "tgt_lang": "en"}) + "\n")
    done = voxnode(tmp_path, "dispatch", str(nobody), "--nats", nats_url, "--timeout-s", "1")
    assert done.returncode == 1 and "error [DISPATCH_TIMEOUT]: 0 of 1 outcomes" in done.stderr


def test_cluster_status_lists_nodes_pairs_depth_and_dead_letters(
    nats_url: str, tmp_path: Path
) -> None:
    done = voxnode(tmp_path, "cluster", "status", "--nats", nats_url, "--json")
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert [(n["node_id"], {(p["src"], p["tgt"]) for p in n["pairs"]}) for n in view["nodes"]] == [
        ("a", ZH_EN)
    ]
    depth = {row["pair"]: (row["queued"], row["running"], row["nodes"]) for row in view["pairs"]}
    assert {pair: depth[pair] for pair in ("en->zh", "zh->en")} == {
        "en->zh": (0, 0, ["a"]), "zh->en": (0, 0, ["a"]),
    }  # fmt: skip
    assert depth.get("ja->en", (0, 0, [])) == (0, 0, [])  # a timed-out dispatch cancelled its job
    assert view["dead_letters"] == 0
    text = voxnode(tmp_path, "cluster", "status", "--nats", nats_url)
    assert "node a" in text.stdout and "dead letters: 0" in text.stdout
