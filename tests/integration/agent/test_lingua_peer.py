"""A scheduler written from lingua1.md's field lists alone (voxnode.testing.lingua_peer):
plain dicts over a plain WebSocket server, none of VoxNode's contracts. The node must
register, heartbeat, answer job_assign, and refuse what the origin node refuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.server import ServerConnection

from voxnode.testing import FAST_AGENT_ENV, PCM16, preinstall_speech_services, run_node_process
from voxnode.testing.lingua_peer import LinguaPeer, heartbeat_with_pairs, receive, register


def job_assign(job_id: str, utterance_index: int) -> dict[str, Any]:
    return {
        "type": "job_assign", "job_id": job_id, "attempt_id": 1, "session_id": "web-1",
        "utterance_index": utterance_index, "src_lang": "en", "tgt_lang": "zh",
        "pipeline": {"use_asr": True, "use_nmt": True, "use_tts": True, "use_semantic": True,
                     "use_tone": False},
        "audio": PCM16, "audio_format": "pcm16", "sample_rate": 16000, "trace_id": "t-1",
        "is_manual_cut": True, "is_timeout_triggered": False,
        "is_max_duration_triggered": False, "enable_streaming_asr": True,
        "a_field_from_the_future": {"x": 1},
    }  # fmt: skip


@pytest.fixture
def peer_and_node(tmp_path: Path) -> Iterator[tuple[LinguaPeer, ServerConnection]]:
    with LinguaPeer() as peer:
        home = tmp_path / "home"
        preinstall_speech_services(home, tmp_path / "packages")
        env = {**FAST_AGENT_ENV, "VOXNODE_SCHEDULER_URL": peer.url}
        with run_node_process(home, env=env):
            yield peer, peer.connection()


def test_a_job_assign_with_pcm16_gets_a_lingua_job_result(
    peer_and_node: tuple[LinguaPeer, ServerConnection],
) -> None:
    _, node = peer_and_node
    first = register(node, "node-1A2B3C4D")
    assert first["node_id"] is None and first["platform"] == "linux"
    assert first["hardware"]["memory_gb"] > 0 and first["accept_public_jobs"] is True
    beat = heartbeat_with_pairs(node)
    assert beat["node_id"] == "node-1A2B3C4D" and beat["timestamp"] > 1.7e12
    assert "en" in beat["language_capabilities"]["asr_languages"]
    assert "zh" in beat["language_capabilities"]["semantic_languages"]

    node.send(json.dumps(job_assign("job-a", 7)))
    assert receive(node, "job_ack")["job_id"] == "job-a"
    partial = receive(node, "asr_partial")
    assert (partial["text"], partial["is_final"]) == ("teh meeting starts now", True)
    result = receive(node, "job_result")
    assert result["success"] is True and result["job_id"] == "job-a"
    assert (result["session_id"], result["utterance_index"], result["attempt_id"]) == (
        "web-1", 7, 1,
    )  # fmt: skip
    assert result["node_id"] == "node-1A2B3C4D" and result["trace_id"] == "t-1"
    assert result["text_asr"] == "teh meeting starts now"
    assert result["text_translated"] == "zh: teh meeting starts now"
    assert result["tts_audio"] and result["tts_format"] == "wav"
    assert set(result["extra"]["service_timings"]) >= {"asr_ms", "nmt_ms", "tts_ms", "total_ms"}
    assert result["processing_time_ms"] >= 0 and result["node_completed_at_ms"] > 1.7e12

    node.send(json.dumps(job_assign("job-a", 7)))  # the same job again
    refused = receive(node, "node_error")
    assert refused["code"] == "DUPLICATE_JOB_ID" and refused["details"]["job_id"] == "job-a"
    node.send(json.dumps(job_assign("job-b", 7)))  # another job for the same utterance
    duplicate = receive(node, "job_result")
    assert duplicate["job_id"] == "job-b" and duplicate["success"] is False
    assert duplicate["error"]["code"] == "DUPLICATE_UTTERANCE_INDEX"

    node.send(json.dumps({"type": "job_assign", "job_id": "broken"}))
    assert receive(node, "node_error")["code"] == "BAD_MESSAGE"
    node.send(json.dumps({"type": "node_control", "command": "reboot"}))
    assert receive(node, "node_error")["code"] == "UNKNOWN_COMMAND"
    node.send(json.dumps(job_assign("job-c", 8)))  # the node still works
    assert receive(node, "job_result")["success"] is True
