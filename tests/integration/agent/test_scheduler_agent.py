"""The node agent against the dev-scheduler: real processes, real WebSockets."""

from __future__ import annotations

import base64
import json
import signal
import time
from pathlib import Path

from voxnode.testing import FakeKnobs, eventually, write_fake_package
from voxnode.testing.joined_node import joined_node
from voxnode.testing.scheduler_runner import RunningScheduler, run_dev_scheduler

SLOW = FakeKnobs(transcript="teh meeting starts now", slow_ms=2500)


def test_register_heartbeat_and_a_job(tmp_path: Path, scheduler: RunningScheduler) -> None:
    with joined_node(tmp_path, "a", scheduler) as node:
        node_id = node.node_id()
        assert node_id and node_id.startswith("node-")
        assert json.loads((node.home / "agent.json").read_text()) == {"node_id": node_id}
        seen = scheduler.node(node_id)
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

        job = scheduler.submit(session_id="s1", job_id="job-1")
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
        assert [e["type"] for e in scheduler.log(job_id="job-1")] == ["job_ack", "job_result"]


def test_a_repair_package_installed_while_connected_is_in_a_heartbeat_within_3_s(
    tmp_path: Path, scheduler: RunningScheduler
) -> None:
    with joined_node(tmp_path, "a", scheduler) as node:
        node_id = node.node_id()
        package = write_fake_package(
            tmp_path / "fix-zh", service_id="fix-zh", service_type="semantic-repair", lang="zh"
        )
        with node.client() as client:
            answer = client.post("/v1/services", json={"source": str(package)})
        installed_at = time.time()
        assert answer.status_code == 201, answer.text

        def reported(status: str) -> float | None:
            seen = scheduler.node(node_id) or {"heartbeats": []}
            for beat in seen["heartbeats"]:
                services = {s["service_id"]: s for s in beat["installed_services"]}
                if beat["received_at"] > installed_at - 0.5 and (
                    services.get("fix-zh", {}).get("status") == status
                ):
                    at: float = beat["received_at"]
                    return at
            return None

        first = eventually(
            lambda: reported("stopped") or reported("running"), timeout_s=5, what="install beat"
        )
        assert first - installed_at < 3.0
        eventually(lambda: reported("running"), timeout_s=10, what="fix-zh running in a heartbeat")
        beat = scheduler.last_heartbeat(node_id)
        assert beat["language_capabilities"]["semantic_core_ready"]
        assert beat["language_capabilities"]["repair_languages"] == ["zh"]


def test_scheduler_restart_re_registers_and_sends_each_result_once(tmp_path: Path) -> None:
    with run_dev_scheduler(tmp_path / "s1", pending_timeout_s=1.0) as first:
        port = first.port
        with joined_node(tmp_path, "a", first, asr_knobs=SLOW) as node:
            node_id = node.node_id()
            assert first.submit(job_id="before")["state"] == "done"
            first.submit(wait=False, job_id="during")
            eventually(lambda: first.log(job_id="during", type="job_ack"), timeout_s=10, what="ack")
            first.kill()  # the job is in flight on the node
            with run_dev_scheduler(tmp_path / "s2", port=port, pending_timeout_s=1.0) as second:
                eventually(lambda: second.node(node_id), timeout_s=15, what="re-registration")
                eventually(
                    lambda: second.log(type="job_result"), timeout_s=10, what="the pending result"
                )
                assert node_id is not None
                second.barrier(node_id)  # anything the node sent twice is in the log by now
                results = second.log(type="job_result")
                assert [r["job_id"] for r in results] == ["during"]
                registers = second.log(type="node_register")
                assert len(registers) == 1 and registers[0]["node_id"] == node_id
                agent = node.agent()
                assert agent["registrations"] == 2 and agent["outbox"] == 0


def test_cancel_stops_the_job_and_sends_no_result(
    tmp_path: Path, scheduler: RunningScheduler
) -> None:
    with joined_node(tmp_path, "a", scheduler, asr_knobs=SLOW) as node:
        scheduler.submit(wait=False, job_id="doomed")
        eventually(lambda: scheduler.log(job_id="doomed", type="job_ack"), timeout_s=10, what="ack")
        with scheduler.client() as client:
            assert client.post("/v1/jobs/doomed/cancel").json()["state"] == "cancelled"

        cancelled_at = time.monotonic()
        eventually(lambda: not node.agent()["running_jobs"], timeout_s=5, what="the job to stop")
        assert time.monotonic() - cancelled_at < 2.0  # well before the slow ASR would answer
        # The job's task has ended (running_jobs is empty): a result it made would be in the
        # outbox ahead of the barrier's answer; "after", a job through the same outbox, checks
        # once more.
        node_id = node.node_id()
        assert node_id is not None
        scheduler.barrier(node_id)
        assert [e["type"] for e in scheduler.log(job_id="doomed")] == ["job_ack"]
        assert scheduler.submit(job_id="after")["state"] == "done"
        assert [e["type"] for e in scheduler.log(job_id="doomed")] == ["job_ack"]


def test_drain_finishes_what_runs_refuses_new_jobs_and_resume_takes_them_again(
    tmp_path: Path, scheduler: RunningScheduler
) -> None:
    with joined_node(tmp_path, "a", scheduler, asr_knobs=SLOW) as node:
        node_id = node.node_id()
        scheduler.submit(wait=False, job_id="running")
        eventually(
            lambda: scheduler.log(job_id="running", type="job_ack"), timeout_s=10, what="ack"
        )
        with scheduler.client() as client:
            client.post(f"/v1/nodes/{node_id}/control", json={"command": "drain"})
        eventually(lambda: node.agent()["draining"], timeout_s=5, what="draining")
        refused = scheduler.submit(job_id="refused")
        assert refused["state"] == "failed" and refused["error"] == "NO_AVAILABLE_NODE"
        assert scheduler.log(job_id="refused", type="job_result")[0]["error"] == "NODE_DRAINING"
        finished = eventually(
            lambda: scheduler.log(job_id="running", type="job_result"), timeout_s=10
        )
        assert finished[0]["success"]
        eventually(
            lambda: scheduler.last_heartbeat(node_id)["draining"],
            timeout_s=5,
            what="a draining beat",
        )

        with scheduler.client() as client:
            client.post(f"/v1/nodes/{node_id}/control", json={"command": "resume"})
        eventually(
            lambda: not scheduler.last_heartbeat(node_id)["draining"],
            timeout_s=5,
            what="a resumed beat",
        )
        assert scheduler.submit(job_id="again")["state"] == "done"


def test_two_nodes_one_killed_mid_job_the_job_completes_once_on_the_other(
    tmp_path: Path, scheduler: RunningScheduler
) -> None:
    with (
        joined_node(tmp_path, "a", scheduler, asr_knobs=SLOW) as a,
        joined_node(tmp_path, "b", scheduler, asr_knobs=SLOW) as b,
    ):
        nodes = {a.node_id(): a, b.node_id(): b}
        scheduler.submit(wait=False, job_id="survivor")
        ack = eventually(
            lambda: scheduler.log(job_id="survivor", type="job_ack"), timeout_s=10, what="ack"
        )
        victim_id = ack[0]["node_id"]
        nodes[victim_id].process.send_signal(signal.SIGKILL)
        with scheduler.client() as client:
            job = eventually(
                lambda: (j := client.get("/v1/jobs/survivor").json())["state"] == "done" and j,
                timeout_s=20, what="the re-dispatched job",
            )  # fmt: skip
        assert job["node_id"] != victim_id and job["attempts"] == 2
        assert job["result"]["success"] and job["result"]["attempt_id"] == 2
        # The victim's connection closed before the job went elsewhere, so all it sent is in the
        # log; a second result from the survivor would be in by the barrier's answer.
        scheduler.barrier(job["node_id"])
        assert len(scheduler.log(job_id="survivor", type="job_result")) == 1
        assert job["results_received"] == 1
        with scheduler.client() as client:
            assert client.get("/v1/jobs/survivor").json()["results_received"] == 1
