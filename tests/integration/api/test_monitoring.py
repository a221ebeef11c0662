"""The monitoring face on a running app with fake services (real processes, real HTTP):
recent jobs, latency history and alerts, LLM first-token metrics, GPU gauges from
nvidia-smi output, /metrics through promtool, the Grafana dashboard's metrics, service log
tails and restarts, model pulls streamed as server-sent events."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from voxnode.agent.node_facts import parse_nvidia_smi
from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import ModelSettings, MonitoringSettings, NodeSettings
from voxnode.testing import FakeKnobs, MakePackage, assert_error, eventually, wait_state
from voxnode.testing.file_server import FileServer, ServedFile

REPO = Path(__file__).resolve().parents[3]
NVIDIA_SMI = "NVIDIA H200, 143771, 81234, 93\nNVIDIA GeForce RTX 4070 Ti, 12282, 1873, 7\n"
"""Two boards in the CSV shape of the node's nvidia-smi query (see tests/unit/agent)."""
SERIES_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


@pytest.fixture
def settings(settings: NodeSettings) -> NodeSettings:
    monitoring = MonitoringSettings(min_samples=1, sample_interval_s=0.2)
    return settings.model_copy(update={"monitoring": monitoring})


@pytest.fixture
def api(settings: NodeSettings) -> Iterator[TestClient]:
    """A node that finds no GPU (whatever this machine has)."""
    with TestClient(create_app(settings, gpus=list)) as client:
        yield client


@pytest.fixture
def gpu_api(settings: NodeSettings) -> Iterator[TestClient]:
    """A node whose nvidia-smi answers NVIDIA_SMI."""
    with TestClient(create_app(settings, gpus=lambda: parse_nvidia_smi(NVIDIA_SMI))) as client:
        yield client


def install(api: TestClient, make_package: MakePackage, service_id: str, **fields: Any) -> None:
    response = api.post("/v1/services", json={"source": str(make_package(service_id, **fields))})
    assert response.status_code == 201, response.text
    wait_state(api, service_id, "ready")


def text_job(api: TestClient, text: str) -> dict[str, Any]:
    body = {"src_lang": "en", "tgt_lang": "zh", "text": text, "session_id": "m"}
    response = api.post("/v1/jobs", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_jobs_are_kept_charted_and_a_slow_tts_raises_an_alert(
    api: TestClient, make_package: MakePackage
) -> None:
    install(api, make_package, "nmt-a", service_type="nmt", lang=["en", "zh"])
    install(api, make_package, "tts-slow", service_type="tts", lang="zh",
            knobs=FakeKnobs(slow_ms=450))  # fmt: skip
    assert api.get("/v1/alerts").json()["alerts"] == []
    text_job(api, "first one.")
    text_job(api, "second one.")
    recent = api.get("/v1/jobs/recent").json()
    assert [j["text_translated"] for j in recent["jobs"]] == ["zh: second one.", "zh: first one."]
    newest = recent["jobs"][0]
    assert newest["audio"] is None and newest["route"] == "local"  # every stage ran here
    assert recent["routes"] == {"local": 2}
    assert newest["services"] == {"nmt": "nmt-a", "tts": "tts-slow"}
    assert newest["timings"]["tts_ms"] >= 450 and newest["finished_at"] > 0
    assert len(api.get("/v1/jobs/recent?limit=1").json()["jobs"]) == 1
    stages = {s["stage"]: s for s in api.get("/v1/monitoring/latency").json()["stages"]}
    assert list(stages) == ["asr", "repair", "nmt", "tts", "llm_first_token"]
    tts = stages["tts"]
    assert (tts["count"], len(tts["points"]), tts["threshold_ms"]) == (2, 2, 300.0)
    assert tts["p95_ms"] >= 450 and stages["asr"]["count"] == 0  # text jobs have no ASR
    (alert,) = api.get("/v1/alerts").json()["alerts"]
    assert (alert["kind"], alert["subject"], alert["severity"]) == (
        "stage_latency", "tts", "warning",
    )  # fmt: skip
    assert alert["message"].startswith("TTS p95 is 4") and alert["threshold"] == 300.0
    metrics = api.get("/metrics").text
    assert 'voxnode_alert_firing{kind="stage_latency",subject="tts"} 1.0' in metrics
    assert 'voxnode_alert_firing{kind="stage_latency",subject="nmt"}' not in metrics  # no target
    assert 'voxnode_stage_latency_threshold_seconds{stage="tts"} 0.3' in metrics


def test_llm_first_token_and_tokens_are_measured_at_the_openai_face(
    api: TestClient, make_package: MakePackage
) -> None:
    knobs = FakeKnobs(slow_ms=120, extra_env={"FAKE_REPLY": "Paris is the capital"})
    install(api, make_package, "llm-fake", service_type="llm", lang=None, knobs=knobs)
    ask = {"messages": [{"role": "user", "content": "capital of France?"}]}
    whole = api.post("/v1/chat/completions", json=ask)
    assert whole.json()["choices"][0]["message"]["content"] == "Paris is the capital"
    streamed = {**ask, "stream": True, "stream_options": {"include_usage": True}}
    with api.stream("POST", "/v1/chat/completions", json=streamed) as response:
        text = "".join(response.iter_text())
    assert '"Paris"' in text and text.rstrip().endswith("data: [DONE]")
    api.post("/v1/chat/completions", json={**ask, "stream": True})  # no usage asked for
    families = {f.name: f for f in text_string_to_metric_families(api.get("/metrics").text)}
    counts = {
        (s.name, s.labels.get("stream"), s.labels.get("kind")): s.value
        for name in ("voxnode_llm_first_token_seconds", "voxnode_llm_tokens_per_second",
                     "voxnode_llm_tokens")
        for s in families[name].samples if s.name.endswith(("_count", "_total"))
    }  # fmt: skip
    assert counts[("voxnode_llm_first_token_seconds_count", "false", None)] == 1
    assert counts[("voxnode_llm_first_token_seconds_count", "true", None)] == 2
    assert counts[("voxnode_llm_tokens_per_second_count", "true", None)] == 1  # the one with usage
    assert counts[("voxnode_llm_tokens_total", None, "completion")] == 8  # 4 words, twice
    first = next(s for s in api.get("/v1/monitoring/latency").json()["stages"]
                 if s["stage"] == "llm_first_token")  # fmt: skip
    assert first["count"] == 3 and first["p50_ms"] >= 120
    hosts = api.get("/v1/llm/status").json()["hosts"]
    assert [(h["service_id"], h["models"][0]["name"]) for h in hosts] == [
        ("llm-fake", "fake-model")
    ]


def test_gpu_readings_become_history_gauges_and_a_vram_alert(gpu_api: TestClient) -> None:
    api = gpu_api
    history = eventually(
        lambda: api.get("/v1/monitoring/hardware").json()
        if len(api.get("/v1/monitoring/hardware").json()["samples"]) >= 2 else None,
        what="two hardware samples",
    )  # fmt: skip
    latest = history["samples"][-1]
    assert [g["name"] for g in latest["gpus"]] == ["NVIDIA H200", "NVIDIA GeForce RTX 4070 Ti"]
    assert latest["gpus"][0]["memory_used_mb"] == 81234.0 and latest["ram_total_mb"] > 0
    assert (history["gpu_utilization_percent"], history["vram_gb"]) == (80.0, 16.0)
    since = history["samples"][0]["at"]
    later = api.get("/v1/monitoring/hardware", params={"since": since}).json()["samples"]
    assert all(s["at"] > since for s in later)
    samples = {
        (s.name, s.labels.get("gpu")): s.value
        for f in text_string_to_metric_families(api.get("/metrics").text) for s in f.samples
    }  # fmt: skip
    assert samples[("voxnode_gpu_memory_used_bytes", "0")] == 81234 * 2**20
    assert samples[("voxnode_gpu_memory_total_bytes", "1")] == 12282 * 2**20
    assert samples[("voxnode_gpu_utilization_ratio", "1")] == 0.07
    assert 0 <= samples[("voxnode_host_cpu_utilization_ratio", None)] <= 1
    alerts = {(a["kind"], a["subject"]) for a in api.get("/v1/alerts").json()["alerts"]}
    assert alerts == {("gpu_utilization", "0"), ("vram", "0")}  # the 4070 Ti is within both


def test_metrics_pass_promtool_and_hold_every_series_of_the_grafana_dashboard(
    gpu_api: TestClient, make_package: MakePackage, tmp_path: Path
) -> None:
    api = gpu_api
    install(api, make_package, "nmt-a", service_type="nmt", lang=["en", "zh"])
    install(api, make_package, "tts-a", service_type="tts", lang="zh")
    install(api, make_package, "fix-en", service_type="semantic-repair", lang="en")
    install(api, make_package, "llm-fake", service_type="llm", lang=None)
    text_job(api, "teh report.")
    api.post("/v1/jobs", json={"src_lang": "en", "tgt_lang": "zh", "text": "x", "want_audio": False,
                               "session_id": "other", "utterance_index": 0})  # fmt: skip
    ask = {"messages": [{"role": "user", "content": "hi"}], "stream": True,
           "stream_options": {"include_usage": True}}  # fmt: skip
    with api.stream("POST", "/v1/chat/completions", json=ask) as response:
        response.read()
    eventually(lambda: api.get("/v1/monitoring/hardware").json()["samples"], what="a sample")
    text = api.get("/metrics").text
    exported = {
        f"{f.name}{suffix}"
        for f in text_string_to_metric_families(text)
        for suffix in SERIES_SUFFIXES.get(f.type, ("",))
    }  # declared series, also those of labelled metrics with no sample yet
    panels = json.loads((REPO / "docs" / "grafana" / "voxnode.json").read_text())["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    queried = {name for expr in exprs for name in re.findall(r"\bvoxnode_[a-z_]+\b", expr)}
    assert len(exprs) >= len(panels) and queried <= exported, sorted(queried - exported)
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is missing (Debian package prometheus; `make setup` installs it)")
    (tmp_path / "metrics.txt").write_text(text)
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_log_tail_restart_and_a_failing_service_alert(
    api: TestClient, make_package: MakePackage
) -> None:
    install(api, make_package, "fix-en", service_type="semantic-repair", lang="en")
    tail = api.get("/v1/services/fix-en/log", params={"lines": 5}).json()
    assert tail["path"].endswith("fix-en.log") and 0 < len(tail["lines"]) <= 5
    before = api.get("/v1/services/fix-en").json()["pid"]
    restarted = api.post("/v1/services/fix-en/restart").json()
    assert restarted["state"] == "ready" and restarted["pid"] != before
    lines = api.get("/v1/services/fix-en/log?lines=200").json()["lines"]
    assert sum("fake service listening" in line for line in lines) == 2
    assert_error(api.get("/v1/services/nope/log"), 404, "UNKNOWN_SERVICE")
    assert_error(api.get("/v1/services/fix-en/log?lines=0"), 422, "INVALID_REQUEST")
    response = api.post("/v1/services", json={"source": str(make_package(
        "broken", service_type="nmt", knobs=FakeKnobs(crash_at_start=True)))})  # fmt: skip
    assert response.status_code == 201, response.text
    wait_state(api, "broken", "failed")
    alerts = eventually(
        lambda: {(a["kind"], a["subject"]) for a in api.get("/v1/alerts").json()["alerts"]}
        >= {("service_failed", "broken"), ("service_restarting", "broken")}
        and api.get("/v1/alerts").json()["alerts"],
        what="the failing service's alerts",
    )  # fmt: skip
    failed = next(a for a in alerts if a["kind"] == "service_failed")
    assert failed["severity"] == "critical"
    assert "fake: model file is corrupt" in "\n".join(
        api.get("/v1/services/broken/log").json()["lines"]
    )


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_a_model_pull_streams_its_progress_then_verify_and_remove(
    settings: NodeSettings, home: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    with FileServer({"/tiny.gguf": ServedFile(data, delay_per_chunk_s=0.01)}) as server:
        entry = {
            "name": "tiny-test", "kind": "llm", "format": "gguf", "licence": "test",
            "main": "tiny.gguf",
            "files": [{"name": "tiny.gguf", "size": len(data),
                       "sha256": hashlib.sha256(data).hexdigest(),
                       "urls": [f"{server.url}/tiny.gguf"]}],
        }  # fmt: skip
        (home / "models").mkdir(parents=True)  # the node reads user entries when it starts
        (home / "models" / "catalog.json").write_text(json.dumps({"models": [entry]}))
        once = settings.model_copy(update={"models": ModelSettings(download_attempts=1)})
        with TestClient(create_app(once, gpus=list)) as api:
            with api.stream("POST", "/v1/models/tiny-test/pull", json={}) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                events = sse_events(response.read().decode())
            kinds = [kind for kind, _ in events]
            assert kinds[0] == "started" and kinds[-1] == "done" and "progress" in kinds, kinds
            progress = [payload for kind, payload in events if kind == "progress"]
            assert progress[-1] == {"file": "tiny.gguf", "done": len(data), "total": len(data)}
            assert [p["done"] for p in progress] == sorted(p["done"] for p in progress)
            assert events[-1][1]["present"] is True
            assert api.post("/v1/models/tiny-test/verify").json() == {
                "name": "tiny-test", "verified": ["tiny.gguf"],
            }  # fmt: skip
            removed = api.delete("/v1/models/tiny-test").json()
            assert removed == {"name": "tiny-test", "removed": True}
            assert api.get("/v1/models/tiny-test").json()["present"] is False
            assert_error(api.post("/v1/models/gpt-5/pull"), 404, "UNKNOWN_MODEL")
            server.files["/tiny.gguf"] = ServedFile(b"not the bytes" * 1000)
            with api.stream("POST", "/v1/models/tiny-test/pull", json={}) as response:
                failed = sse_events(response.read().decode())
    assert failed[-1][0] == "error", failed  # a short file: the download gives up, says why
    assert failed[-1][1]["error"]["code"] == "DOWNLOAD_FAILED"
