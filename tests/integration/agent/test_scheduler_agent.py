"""The node agent against the dev-scheduler: real processes, real WebSockets."""

from __future__ import annotations

import base64
import json
import signal
import time
from pathlib import Path

from tests.integration.agent.conftest import (
    agent_of,
    joined_node,
    last_heartbeat,
    log_of,
    node_id_of,
    scheduler_node,
    submit,
    wait_for,
)
from voxnode.testing import FakeKnobs, write_fake_package
from voxnode.testing.scheduler_runner import RunningScheduler, run_dev_scheduler

SLOW = FakeKnobs(transcript="teh meeting starts now", slow_ms=2500)


def test_register_heartbeat_and_a_job(tmp_path: Path, scheduler: RunningScheduler) -> None:
    with joined_node(tmp_path, "a", scheduler) as node:
        node_id = node_id_of(node)
        assert node_id and node_id.startswith("node-")
        assert json.loads((node.home / "agent.json").read_text()) == {"node_id": node_id}
        seen = scheduler_node(scheduler, node_id)
        assert seen is not None
        register = seen["register"]
        assert register["platform"] == "linux" and register["hardware"]["cpu_cores"] >= 1
        assert register["capability_schema_version"] == "2.0"
        beat = seen["heartbeats"][-1]
        assert {s["service_id"] for s in beat["installed_services"]} == {
            "asr-fake", "nmt-fake", "tts-fake",
        }  # fmt: skip
        assert beat["resource_usage"]["mem_percent"] > 0
        languages = beat["language_capabilities"]
        assert languages["asr_languages"] == ["en", "zh"]
        assert {(p["src"], p["tgt"], p["speech_out"]) for p in languages["pairs"]} == {
            ("en", "zh", True), ("zh", "en", False),
        }  # fmt: skip
        by_type = {c["type"]: c for c in beat["capability_by_type"]}
        assert by_type["asr"]["ready"] and by_type["asr"]["ready_impl_ids"] == ["asr-fake"]
        assert not by_type["semantic"]["ready"] and by_type["semantic"]["reason"] == "no_impl"

        job = submit(scheduler, session_id="s1", job_id="job-1")
        assert job["state"] == "done", job
        result = job["result"]
        assert result["success"] and result["node_id"] == node_id
        assert result["text_asr"] == "teh meeting starts now"
        assert result["text_translated"] == "zh: teh meeting starts now"
        assert base64.b64decode(result["tts_audio"])[:4] == b"RIFF"
        assert result["tts_format"] == "wav" and result["attempt_id"] == 1
        assert (result["session_id"], result["utterance_index"]) == ("s1", 0)
        timings = result["extra"]["service_timings"]
        assert timings["total_ms"] >= timings["asr_ms"] > 0
        assert result["asr_quality_level"] == "good" and result["quality_score"] == 0.9
        assert [e["type"] for e in log_of(scheduler, job_id="job-1")] == ["job_ack", "job_result"]


def test_a_repair_package_installed_while_connected_is_in_a_heartbeat_within_3_s(
    tmp_path: Path, scheduler: RunningScheduler
) -> None:
    with joined_node(tmp_path, "a", scheduler) as node:
        node_id = node_id_of(node)
        package = write_fake_package(
            tmp_path / "fix-zh", service_id="fix-zh", service_type="semantic-repair", lang="zh"
        )
        with node.client() as client:
            answer = client.post("/v1/services", json={"source": str(package)})
        installed_at = time.time()
        assert answer.status_code == 201, answer.text

        def reported(status: str) -> float | None:
            seen = scheduler_node(scheduler, node_id) or {"heartbeats": []}
            for beat in seen["heartbeats"]:
                services = {s["service_id"]: s for s in beat["installed_services"]}
                if beat["received_at"] > installed_at - 0.5 and (
                    services.get("fix-zh", {}).get("status") == status
                ):
                    at: float = beat["received_at"]
                    return at
            return None

        first = wait_for(lambda: reported("stopped") or reported("running"), 5, "install beat")
        assert first - installed_at < 3.0
        wait_for(lambda: reported("running"), 10, "fix-zh running in a heartbeat")
        beat = last_heartbeat(scheduler, node_id)
        assert beat["language_capabilities"]["semantic_core_ready"]
        assert beat["language_capabilities"]["repair_languages"] == ["zh"]


def test_scheduler_restart_re_registers_and_sends_each_result_once(tmp_path: Path) -> None:
    with run_dev_scheduler(tmp_path / "s1", pending_timeout_s=1.0) as first:
        port = first.port
        with joined_node(tmp_path, "a", first, asr_knobs=SLOW) as node:
            node_id = node_id_of(node)
            assert submit(first, job_id="before")["state"] == "done"
            submit(first, wait=False, job_id="during")
            wait_for(lambda: log_of(first, job_id="during", type="job_ack"), 10, "ack")
            first.kill()  # the job is in flight on the node
            with run_dev_scheduler(tmp_path / "s2", port=port, pending_timeout_s=1.0) as second:
                wait_for(lambda: scheduler_node(second, node_id), 15, "re-registration")
                wait_for(lambda: log_of(second, type="job_result"), 10, "the pending result")
                time.sleep(1.0)  # anything sent twice would be here by now
                results = log_of(second, type="job_result")
                assert [r["job_id"] for r in results] == ["during"]
                registers = log_of(second, type="node_register")
                assert len(registers) == 1 and registers[0]["node_id"] == node_id
                agent = agent_of(node)
                assert agent["registrations"] == 2 and agent["outbox"] == 0


def test_cancel_stops_the_job_and_sends_no_result(
    tmp_path: Path, scheduler: RunningScheduler
) -> None:
    with joined_node(tmp_path, "a", scheduler, asr_knobs=SLOW) as node:
        submit(scheduler, wait=False, job_id="doomed")
        wait_for(lambda: log_of(scheduler, job_id="doomed", type="job_ack"), 10, "ack")
        with scheduler.client() as client:
            assert client.post("/v1/jobs/doomed/cancel").json()["state"] == "cancelled"

        cancelled_at = time.monotonic()
        wait_for(lambda: not agent_of(node)["running_jobs"], 5, "the job to stop")
        assert time.monotonic() - cancelled_at < 2.0  # well before the slow ASR would answer
        time.sleep(3.0)
        assert log_of(scheduler, job_id="doomed", type="job_result") == []
        assert submit(scheduler, job_id="after")["state"] == "done"


def test_drain_finishes_what_runs_refuses_new_jobs_and_resume_takes_them_again(
    tmp_path: Path, scheduler: RunningScheduler
) -> None:
    with joined_node(tmp_path, "a", scheduler, asr_knobs=SLOW) as node:
        node_id = node_id_of(node)
        submit(scheduler, wait=False, job_id="running")
        wait_for(lambda: log_of(scheduler, job_id="running", type="job_ack"), 10, "ack")
        with scheduler.client() as client:
            client.post(f"/v1/nodes/{node_id}/control", json={"command": "drain"})
        wait_for(lambda: agent_of(node)["draining"], 5, "draining")
        refused = submit(scheduler, job_id="refused")
        assert refused["state"] == "failed" and refused["error"] == "NO_AVAILABLE_NODE"
        assert log_of(scheduler, job_id="refused", type="job_result")[0]["error"] == "NODE_DRAINING"
        finished = wait_for(lambda: log_of(scheduler, job_id="running", type="job_result"), 10)
        assert finished[0]["success"]
        wait_for(lambda: last_heartbeat(scheduler, node_id)["draining"], 5, "a draining beat")

        with scheduler.client() as client:
            client.post(f"/v1/nodes/{node_id}/control", json={"command": "resume"})
        wait_for(lambda: not last_heartbeat(scheduler, node_id)["draining"], 5, "a resumed beat")
        assert submit(scheduler, job_id="again")["state"] == "done"


def test_two_nodes_one_killed_mid_job_the_job_completes_once_on_the_other(
    tmp_path: Path, scheduler: RunningScheduler
) -> None:
    with (
        joined_node(tmp_path, "a", scheduler, asr_knobs=SLOW) as a,
        joined_node(tmp_path, "b", scheduler, asr_knobs=SLOW) as b,
    ):
        nodes = {node_id_of(a): a, node_id_of(b): b}
        submit(scheduler, wait=False, job_id="survivor")
        ack = wait_for(lambda: log_of(scheduler, job_id="survivor", type="job_ack"), 10, "ack")
        victim_id = ack[0]["node_id"]
        nodes[victim_id].process.send_signal(signal.SIGKILL)
        with scheduler.client() as client:
            job = wait_for(
                lambda: (j := client.get("/v1/jobs/survivor").json())["state"] == "done" and j,
                20, "the re-dispatched job",
            )  # fmt: skip
        assert job["node_id"] != victim_id and job["attempts"] == 2
        assert job["result"]["success"] and job["result"]["attempt_id"] == 2
        time.sleep(0.5)
        assert len(log_of(scheduler, job_id="survivor", type="job_result")) == 1
        assert job["results_received"] == 1
