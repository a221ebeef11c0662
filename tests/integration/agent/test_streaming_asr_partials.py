"""A scheduler job with enable_streaming_asr gets asr_partial messages of growing prefixes
of its audio before the final one, and the final transcript is made once."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from voxnode.testing import FAST_AGENT_ENV, FakeKnobs, preinstall_speech_services, run_node_process
from voxnode.testing.lingua_peer import LinguaPeer, heartbeat_with_pairs, receive, register

SAID = "please send the contract before friday and call me"


def test_partials_grow_then_the_final_comes(tmp_path: Path) -> None:
    log = tmp_path / "asr.log"
    knobs = FakeKnobs(transcript=SAID, words_per_s=2, request_log=str(log))
    with LinguaPeer() as peer:
        home = tmp_path / "home"
        preinstall_speech_services(home, tmp_path / "packages", asr_knobs=knobs)
        env = {**FAST_AGENT_ENV, "VOXNODE_SCHEDULER_URL": peer.url}
        with run_node_process(home, env=env):
            node = peer.connection()
            register(node, "node-PARTIAL1")
            heartbeat_with_pairs(node)
            audio = base64.b64encode(b"\x01\x00" * 16000 * 4).decode()  # 4 s of PCM16
            node.send(json.dumps({
                "type": "job_assign", "job_id": "p-1", "session_id": "web", "utterance_index": 0,
                "src_lang": "en", "tgt_lang": "zh", "audio": audio, "audio_format": "pcm16",
                "sample_rate": 16000, "trace_id": "t", "enable_streaming_asr": True,
                "partial_update_interval_ms": 1000,
            }))  # fmt: skip
            partials = [receive(node, "asr_partial") for _ in range(4)]
            result = receive(node, "job_result")
    texts = [(p["text"], p["is_final"]) for p in partials]
    assert texts == [
        ("please send", False), ("please send the contract", False),
        ("please send the contract before friday", False),
        ("please send the contract before friday and call", True),
    ]  # fmt: skip
    assert result["success"] and result["text_asr"] == texts[-1][0]
    assert log.read_text().count("/v1/transcribe") == 4  # 3 prefixes, the whole once
