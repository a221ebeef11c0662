"""POST /v1/jobs through fake ASR/NMT/TTS/repair services (real processes, real HTTP)."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings, PipelineSettings
from voxnode.testing import FakeKnobs, MakePackage, assert_error, eventually, wait_state

AUDIO = base64.b64encode(b"\x01\x00" * 1600).decode()


def install(api: TestClient, make_package: MakePackage, service_id: str, **fields: Any) -> None:
    response = api.post("/v1/services", json={"source": str(make_package(service_id, **fields))})
    assert response.status_code == 201, response.text


def speech_services(api: TestClient, make_package: MakePackage, **asr_knobs: Any) -> None:
    knobs = FakeKnobs(transcript="teh meeting starts now", **asr_knobs)
    install(api, make_package, "asr-a", service_type="asr", lang=["en", "zh"], knobs=knobs)
    install(api, make_package, "nmt-a", service_type="nmt", lang=["en", "zh"])
    install(api, make_package, "tts-a", service_type="tts", lang=["zh"])
    install(api, make_package, "fix-en", service_type="semantic-repair", lang="en")
    for service_id in ("asr-a", "nmt-a", "tts-a", "fix-en"):
        wait_state(api, service_id, "ready")


def job(api: TestClient, expect: int = 200, **body: Any) -> dict[str, Any]:
    payload = {"src_lang": "en", "tgt_lang": "zh", "audio": AUDIO, "audio_format": "pcm16"}
    response = api.post("/v1/jobs", json={**payload, **body})
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def test_audio_job_runs_every_stage(api: TestClient, make_package: MakePackage) -> None:
    speech_services(api, make_package)
    result = job(api, job_id="j1", session_id="s")
    assert result["status"] == "ok"
    assert result["text_asr"] == "teh meeting starts now"
    assert result["text_repaired"] == "the meeting starts now"
    assert result["text_translated"] == "zh: the meeting starts now"
    assert base64.b64decode(result["audio"])[:4] == b"RIFF"
    assert (result["sample_rate"], result["audio_format"]) == (16000, "wav")
    assert result["services"] == {
        "asr": "asr-a", "repair": "fix-en", "nmt": "nmt-a", "tts": "tts-a",
    }  # fmt: skip
    timings = result["timings"]
    assert timings["total_ms"] >= timings["asr_ms"] + timings["nmt_ms"] > 0
    metrics = api.get("/metrics").text
    assert 'voxnode_stage_seconds_count{stage="asr"} 1.0' in metrics
    assert 'voxnode_jobs_total{status="ok"} 1.0' in metrics


def test_failed_translation_and_tts_still_return_the_text(
    api: TestClient, make_package: MakePackage
) -> None:
    install(
        api, make_package, "asr-a", service_type="asr", lang="en", knobs=FakeKnobs(transcript="hi")
    )
    install(api, make_package, "nmt-bad", service_type="nmt", lang=["en", "zh"],
            knobs=FakeKnobs(fail_status=500))  # fmt: skip
    for service_id in ("asr-a", "nmt-bad"):
        wait_state(api, service_id, "ready")
    result = job(api)
    assert result["status"] == "degraded"
    assert (result["text_asr"], result["text_repaired"], result["text_translated"]) == (
        "hi", "hi", "",
    )  # fmt: skip
    assert [d["stage"] for d in result["degraded"]] == ["nmt"]
    assert result["repair_decision"] == "PASS"  # no repair service: PASS, never a failure
    api.delete("/v1/services/nmt-bad")
    install(api, make_package, "nmt-a", service_type="nmt", lang=["en", "zh"])
    wait_state(api, "nmt-a", "ready")
    result = job(api)  # no tts for zh installed
    assert result["text_translated"] == "zh: hi"
    assert result["degraded"][0]["stage"] == "tts"
    assert result["degraded"][0]["code"] == "SERVICE_NOT_INSTALLED_OR_UNSUPPORTED_LANG"
    metrics = api.get("/metrics").text
    assert 'voxnode_degradations_total{code="FAKE_FAILURE",stage="nmt"} 1.0' in metrics
    assert 'voxnode_jobs_total{status="degraded"} 2.0' in metrics


def test_failover_to_the_second_asr_when_the_first_is_killed_mid_job(
    api: TestClient, make_package: MakePackage, tmp_path: Path
) -> None:
    requests = tmp_path / "asr-a-requests.log"
    speech_services(api, make_package, slow_ms=1500, request_log=str(requests))
    install(api, make_package, "asr-b", service_type="asr", lang="en",
            knobs=FakeKnobs(transcript="from b"))  # fmt: skip
    slow = wait_state(api, "asr-a", "ready")
    wait_state(api, "asr-b", "ready")
    api.post("/v1/services/asr-b/stop")  # asr-a is the only ready one: the job goes there
    before_kill: list[str] = []

    def kill_mid_job() -> None:
        """SIGKILL asr-a once the job's transcribe is inside it (1.5 s before its answer)."""
        heard = eventually(lambda: logged(requests), what="the job's request to reach asr-a")
        before_kill.extend(heard)
        os.kill(slow["pid"], signal.SIGKILL)

    killer = threading.Thread(target=kill_mid_job)
    killer.start()
    result = job(api, want_audio=False)
    killer.join()
    assert before_kill == ["/v1/transcribe"]  # exactly the job's one request, then the kill
    assert result["status"] == "ok", result
    assert result["services"]["asr"] in ("asr-a", "asr-b")  # restarted, or b started on demand
    assert result["text_asr"] in ("teh meeting starts now", "from b")
    assert 'voxnode_failovers_total{service_type="asr"}' in api.get("/metrics").text


def test_failover_skips_a_failing_service_and_cools_it_down(
    api: TestClient, make_package: MakePackage
) -> None:
    install(
        api,
        make_package,
        "asr-bad",
        service_type="asr",
        lang="en",
        knobs=FakeKnobs(fail_status=503),
    )
    install(
        api, make_package, "asr-ok", service_type="asr", lang="en", knobs=FakeKnobs(transcript="ok")
    )
    wait_state(api, "asr-bad", "ready")
    wait_state(api, "asr-ok", "ready")
    texts = {job(api, want_audio=False, tgt_lang="zh")["text_asr"] for _ in range(3)}
    assert texts == {"ok"}
    # the first job tried asr-bad and failed over; cooled down, it got nothing more
    assert (requests_served(api, "asr-bad"), requests_served(api, "asr-ok")) == (1, 3)


def logged(path: Path) -> list[str]:
    """The complete lines of a fake service's request log (none while it has no file)."""
    text = path.read_text() if path.exists() else ""
    return text[: text.rfind("\n") + 1].splitlines()


def requests_served(api: TestClient, service_id: str) -> int:
    """The /v1/* requests the fake service counted (its GET /info)."""
    url = api.get(f"/v1/services/{service_id}").json()["url"]
    count: int = httpx.get(f"{url}/info", timeout=5, trust_env=False).json()["requests"]
    return count


def test_stopped_service_starts_on_demand(api: TestClient, make_package: MakePackage) -> None:
    speech_services(api, make_package)
    api.post("/v1/services/nmt-a/stop")
    wait_state(api, "nmt-a", "stopped")
    result = job(api, want_audio=False)
    assert result["text_translated"] == "zh: the meeting starts now"
    assert api.get("/v1/services/nmt-a").json()["state"] == "ready"


def test_bad_audio_is_a_4xx_and_the_node_keeps_working(
    api: TestClient, make_package: MakePackage
) -> None:
    speech_services(api, make_package)
    base = {"src_lang": "en", "tgt_lang": "zh", "audio_format": "pcm16"}
    assert_error(api.post("/v1/jobs", json={**base, "audio": ""}), 400, "EMPTY_AUDIO")
    assert_error(api.post("/v1/jobs", json={**base, "audio": "%%"}), 400, "BAD_AUDIO")
    assert_error(api.post("/v1/jobs", json=base), 422, "INVALID_REQUEST")
    assert job(api)["status"] == "ok"


def test_repeated_job_id_gets_the_first_result_and_utterances_keep_order(
    api: TestClient, make_package: MakePackage
) -> None:
    speech_services(api, make_package)
    first = job(api, job_id="same", session_id="s", want_audio=False)
    again = job(api, job_id="same", session_id="s", want_audio=False)
    assert again["duplicate"] and not first["duplicate"]
    assert again["utterance_index"] == first["utterance_index"] == 0
    assert_error(api.post("/v1/jobs", json={"src_lang": "en", "tgt_lang": "zh", "text": "x",
                                            "session_id": "s", "utterance_index": 0}),
                 409, "DUPLICATE_UTTERANCE")  # fmt: skip
    assert job(api, session_id="s", text="next one", audio=None)["utterance_index"] == 1


def test_short_unfinished_fragment_is_held_for_the_next_utterance(
    api: TestClient, make_package: MakePackage
) -> None:
    speech_services(api, make_package)
    body = {"audio": None, "want_audio": False, "manual_cut": False, "session_id": "frag"}
    held = job(api, text="so the", **body)
    assert held["status"] == "merged" and held["text_translated"] == ""
    merged = job(api, text="meeting starts at noon.", **body)
    assert merged["text_repaired"] == "so the meeting starts at noon."
    assert "MERGED_HELD_FRAGMENT" in merged["reason_codes"]


@pytest.fixture
def settings(settings: NodeSettings) -> NodeSettings:
    pipeline = PipelineSettings(on_demand_wait_s=20, cooldown_s=60, asr_timeout_ms=20000)
    return settings.model_copy(update={"pipeline": pipeline})


@pytest.fixture
def api(settings: NodeSettings) -> Any:
    with TestClient(create_app(settings)) as client:
        yield client


def test_repair_and_translation_can_be_left_out(api: TestClient, make_package: MakePackage) -> None:
    """lingua's use_semantic / use_nmt: false."""
    speech_services(api, make_package)
    heard = job(api, want_repair=False, session_id="a")
    assert heard["text_repaired"] == "teh meeting starts now" and heard["repair_decision"] is None
    assert heard["text_translated"] == "zh: teh meeting starts now"
    only_asr = job(api, want_translation=False, src_lang="en", tgt_lang="en", session_id="b")
    assert only_asr["status"] == "ok" and only_asr["text_repaired"] == "the meeting starts now"
    assert only_asr["text_translated"] == "" and only_asr["audio"] is None
    assert set(only_asr["services"]) == {"asr", "repair"}


def test_a_chinese_job_asks_the_asr_for_its_n_best(
    api: TestClient, make_package: MakePackage, tmp_path: Path
) -> None:
    """semantic-repair-zh takes the N-best's differing runs as candidates, for every sentence
    (zh repair runs on every sentence)."""
    log = tmp_path / "asr.jsonl"
    knobs = FakeKnobs(transcript="会议是", body_log=str(log))
    install(api, make_package, "asr-zh", service_type="asr", lang=["zh", "en"], knobs=knobs)
    wait_state(api, "asr-zh", "ready")
    job(api, src_lang="zh", tgt_lang="en", want_translation=False, session_id="zh")
    job(api, src_lang="zh", tgt_lang="en", want_translation=False, want_repair=False,
        session_id="no-repair")  # fmt: skip
    asked = [json.loads(line)["body"] for line in logged(log)]
    assert [(a["nbest"], a["nbest_below_quality"]) for a in asked] == [(5, 1.0), (0, 1.0)]
