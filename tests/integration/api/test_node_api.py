"""The node's API in process (real lifespan, real child processes)."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any

import psutil
from fastapi.testclient import TestClient

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings, RepairTriggerSettings
from voxnode.testing import FakeKnobs, MakePackage, assert_error, wait_state


def repair(api: TestClient, text: str, lang: str = "en", **extra: Any) -> dict[str, Any]:
    response = api.post(
        "/v1/repair",
        json={"job_id": "j", "session_id": "s", "lang": lang, "text_in": text, **extra},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_install_route_uninstall_while_running(api: TestClient, make_package: MakePackage) -> None:
    assert repair(api, "teh cat")["reason_codes"] == ["SERVICE_NOT_INSTALLED_OR_UNSUPPORTED_LANG"]
    created = api.post("/v1/services", json={"source": str(make_package("fake-en", lang="en"))})
    assert created.status_code == 201
    status = wait_state(api, "fake-en", "ready")
    answer = repair(api, "teh cat")
    assert (answer["decision"], answer["text_out"], answer["service_id"]) == (
        "REPAIR",
        "the cat",
        "fake-en",
    )
    assert answer["diff"] == [{"from": "teh", "to": "the", "position": 0}]
    assert repair(api, "teh cat", lang="zh")["decision"] == "PASS"
    assert api.delete("/v1/services/fake-en").status_code == 204
    assert (
        not psutil.pid_exists(status["pid"]) or psutil.Process(status["pid"]).status() == "zombie"
    )
    assert api.get("/v1/services").json() == {"services": []}
    assert repair(api, "teh cat")["decision"] == "PASS"


def test_bad_input_gets_the_error_shape_and_changes_nothing(
    api: TestClient, make_package: MakePackage, tmp_path: Path, settings: NodeSettings
) -> None:
    api.post("/v1/services", json={"source": str(make_package("keep"))})
    before = (settings.home / "registry.json").read_bytes()
    broken = make_package("broken")
    (broken / "service.json").write_text('{"service_id": "broken"}')
    error = assert_error(
        api.post("/v1/services", json={"source": str(broken)}), 400, "BAD_MANIFEST"
    )
    assert "service.json" in error["message"] and "'name'" in error["message"]
    archive = shutil.make_archive(str(tmp_path / "a"), "zip", make_package("a"))
    assert_error(
        api.post("/v1/services", json={"source": archive, "sha256": "0" * 64}),
        400,
        "SHA256_MISMATCH",
    )
    assert_error(
        api.post("/v1/services", json={"source": str(make_package("keep"))}),
        409,
        "ALREADY_INSTALLED",
    )
    assert_error(api.post("/v1/services", json={}), 422, "INVALID_REQUEST")
    assert_error(api.get("/v1/services/nope"), 404, "UNKNOWN_SERVICE")
    assert_error(api.delete("/v1/services/nope"), 404, "UNKNOWN_SERVICE")
    assert_error(api.post("/v1/services/nope/start"), 404, "UNKNOWN_SERVICE")
    assert_error(api.post("/v1/repair", json={"lang": "en"}), 422, "INVALID_REQUEST")
    assert (settings.home / "registry.json").read_bytes() == before
    assert hashlib.sha256(before).hexdigest()  # the registry is still readable JSON
    assert [s["service_id"] for s in api.get("/v1/services").json()["services"]] == ["keep"]


def test_upgrade_failed_upgrade_and_rollback(api: TestClient, make_package: MakePackage) -> None:
    api.post("/v1/services", json={"source": str(make_package("svc", version="1.0.0"))})
    v1 = wait_state(api, "svc", "ready")
    upgraded = api.post(
        "/v1/services", json={"source": str(make_package("svc", version="2.0.0"))}
    ).json()
    assert (upgraded["version"], upgraded["state"]) == ("2.0.0", "ready")
    assert upgraded["pid"] != v1["pid"]
    broken = make_package("svc", version="3.0.0", knobs=FakeKnobs(crash_at_start=True))
    error = assert_error(
        api.post("/v1/services", json={"source": str(broken)}), 422, "UPGRADE_FAILED"
    )
    assert "2.0.0 keeps serving" in error["message"] and "model file is corrupt" in error["message"]
    status = api.get("/v1/services/svc").json()
    assert (status["version"], status["state"], status["pid"]) == (
        "2.0.0",
        "ready",
        upgraded["pid"],
    )
    assert status["installed_versions"] == ["1.0.0", "2.0.0"]
    rolled = api.post("/v1/services/svc/rollback", json={}).json()
    assert (rolled["version"], rolled["state"]) == ("1.0.0", "ready")


def test_repair_degrades_to_pass(api: TestClient, make_package: MakePackage) -> None:
    api.post(
        "/v1/services", json={"source": str(make_package("slow", knobs=FakeKnobs(slow_ms=3000)))}
    )
    wait_state(api, "slow", "ready")
    started = time.monotonic()
    answer = repair(api, "teh", deadline_ms=300)
    assert (answer["decision"], answer["text_out"], answer["reason_codes"]) == (
        "PASS",
        "teh",
        ["TIMEOUT"],
    )
    assert time.monotonic() - started < 2
    api.delete("/v1/services/slow")
    api.post(
        "/v1/services",
        json={"source": str(make_package("dead", knobs=FakeKnobs(crash_at_start=True)))},
    )
    wait_state(api, "dead", "failed")
    assert repair(api, "teh")["reason_codes"] == ["SERVICE_NOT_AVAILABLE"]


def test_repair_starts_a_stopped_service_on_demand(
    api: TestClient, make_package: MakePackage
) -> None:
    api.post("/v1/services", json={"source": str(make_package("lazy", autostart=False))})
    assert api.get("/v1/services/lazy").json()["state"] == "stopped"
    answer = repair(api, "teh", deadline_ms=15000)
    assert (answer["decision"], answer["text_out"]) == ("REPAIR", "the")
    assert api.get("/v1/services/lazy").json()["state"] == "ready"


def test_start_stop_and_metrics(api: TestClient, make_package: MakePackage) -> None:
    api.post("/v1/services", json={"source": str(make_package("m", autostart=False))})
    assert api.post("/v1/services/m/start").json()["state"] == "ready"
    repair(api, "teh")
    text = api.get("/metrics").text
    assert 'voxnode_service_state{service_id="m",state="ready"} 1.0' in text
    assert 'voxnode_service_restarts_total{service_id="m"} 0.0' in text
    assert 'voxnode_service_startup_seconds{service_id="m"}' in text
    assert 'voxnode_repair_requests_total{decision="REPAIR",lang="en"} 1.0' in text
    assert api.post("/v1/services/m/stop").json()["state"] == "stopped"
    assert 'voxnode_service_state{service_id="m",state="stopped"} 1.0' in api.get("/metrics").text


def test_events_stream_install_and_states(api: TestClient, make_package: MakePackage) -> None:
    with api.websocket_connect("/v1/events") as socket:
        api.post("/v1/services", json={"source": str(make_package("ev"))})
        seen = []
        while ("service_state", "ready") not in seen:
            event = socket.receive_json()
            seen.append((event["type"], event["data"].get("state")))
        assert seen[0] == ("service_installed", None)
        assert ("service_state", "starting") in seen


def test_dashboard_and_health(api: TestClient) -> None:
    assert "VoxNode" in api.get("/").text
    health = api.get("/health").json()
    assert (health["status"], health["services"]) == ("ok", 0)


def test_repair_waits_for_a_service_that_is_starting(
    api: TestClient, make_package: MakePackage
) -> None:
    folder = make_package("loading", knobs=FakeKnobs(load_delay_s=1.0))
    api.post("/v1/services", json={"source": str(folder)})
    assert api.get("/v1/services/loading").json()["state"] == "starting"
    answer = repair(api, "teh", deadline_ms=10000)
    assert (answer["decision"], answer["service_id"]) == ("REPAIR", "loading")


def test_upgrading_a_failed_service_starts_the_new_version(
    api: TestClient, make_package: MakePackage
) -> None:
    api.post(
        "/v1/services",
        json={"source": str(make_package("fix", knobs=FakeKnobs(crash_at_start=True)))},
    )
    wait_state(api, "fix", "failed")
    api.post("/v1/services", json={"source": str(make_package("fix", version="1.0.1"))})
    assert wait_state(api, "fix", "ready")["version"] == "1.0.1"


def test_trigger_policy_and_micro_context(
    settings: NodeSettings, make_package: MakePackage
) -> None:
    """en in policy mode: a confident sentence is not sent to repair, a low-quality one is;
    the node remembers each session's last sentence and sends it as micro_context."""
    policy = settings.repair.model_copy(update={"en": RepairTriggerSettings(mode="policy")})
    with TestClient(create_app(settings.model_copy(update={"repair": policy}))) as api:
        api.post("/v1/services", json={"source": str(make_package("fake-en"))})
        wait_state(api, "fake-en", "ready")
        quiet = repair(api, "teh cat")
        assert (quiet["decision"], quiet["reason_codes"]) == ("PASS", ["NOT_TRIGGERED"])
        fired = repair(api, "teh cat", quality_score=0.3)
        assert (fired["decision"], fired["text_out"]) == ("REPAIR", "the cat")
        assert "CONTEXT=teh cat" in fired["reason_codes"]  # the quiet sentence came first
        again = repair(api, "teh dog", quality_score=0.3)
        assert "CONTEXT=the cat" in again["reason_codes"]
