"""WS /v1/stream and POST /v1/jobs `stream: true` through fake ASR/NMT/TTS services (real
processes, real HTTP); the node's energy VAD hears tone bursts as speech."""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from voxnode.api.node_app import create_app
from voxnode.contracts.node_settings import NodeSettings, StreamSettings
from voxnode.testing import FakeKnobs, MakePackage, eventually, wait_state
from voxnode.testing.stream_client import of_type, play, tone_bursts

SAID = "teh meeting starts now, bring the contract. see you there at noon."
STREAM = StreamSettings(vad="energy", partial_interval_ms=300, min_silence_ms=320,
                        early_final_ms=96, max_streams=1, outbox_events=2)  # fmt: skip
"""One stream at a time, and an outbox of two events: every event still arrives."""
START = {"type": "start", "src_lang": "en", "tgt_lang": "zh", "session_id": "live"}


@pytest.fixture
def api(settings: NodeSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"stream": STREAM}))) as client:
        yield client


def install(api: TestClient, make_package: MakePackage, service_id: str, **fields: Any) -> None:
    response = api.post("/v1/services", json={"source": str(make_package(service_id, **fields))})
    assert response.status_code == 201, response.text
    wait_state(api, service_id, "ready")


def speech_services(
    api: TestClient, make_package: MakePackage, *, piece_ms: int = 0, log: Path | None = None
) -> None:
    asr = FakeKnobs(transcript=SAID, words_per_s=4)
    install(api, make_package, "asr-a", service_type="asr", lang=["en", "zh"], knobs=asr)
    nmt = FakeKnobs(piece_ms=piece_ms, request_log=str(log) if log else None)
    install(api, make_package, "nmt-a", service_type="nmt", lang=["en", "zh"], knobs=nmt)
    install(api, make_package, "tts-a", service_type="tts", lang=["zh"])
    install(api, make_package, "fix-en", service_type="semantic-repair", lang="en")


def receive_until_done(ws: Any, limit: int = 500) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while len(events) < limit:
        events.append(ws.receive_json())
        if events[-1]["type"] in ("done", "error"):
            return events
    raise AssertionError(f"no done event: {events[-5:]}")


def test_partials_come_before_the_final_and_audio_pieces_in_order(
    api: TestClient, make_package: MakePackage
) -> None:
    speech_services(api, make_package)
    audio = tone_bursts([(0.4, False), (2.4, True), (0.8, False), (1.2, True), (0.8, False)])
    with api.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps(START))
        assert ws.receive_json()["type"] == "ready"
        play(ws.send_bytes, audio, speed=2.0)
        ws.send_text(json.dumps({"type": "end"}))
        events = receive_until_done(ws)
    assert events[-1] == {**events[-1], "type": "done", "utterances": 2}
    kinds = [e["type"] for e in of_type(events, "vad")]
    assert kinds == ["vad"] * 4
    for utterance in (0, 1):
        mine = [e for e in events if e.get("utterance_index") == utterance]
        order = [e["type"] for e in mine]
        assert order.index("asr_final") < order.index("repair") < order.index("translation")
        final = of_type(mine, "asr_final")[0]
        partials = of_type(mine, "asr_partial")
        assert partials and events.index(partials[-1]) < events.index(final)
        committed = [p["committed"] for p in partials]
        assert all(b.startswith(a) for a, b in itertools.pairwise(committed))
        pieces = of_type(mine, "translation")
        sounds = of_type(mine, "audio")
        assert [p["index"] for p in pieces] == list(range(len(pieces)))
        assert [(a["index"], a["text"]) for a in sounds] == [
            (p["index"], p["text"]) for p in pieces
        ]
        done = of_type(mine, "translation_done")[0]
        assert done["text"] == " ".join(p["text"] for p in pieces)
        result = of_type(mine, "result")[0]["result"]
        assert result["text_translated"] == done["text"] and result["audio"] is None
        assert result["status"] == "ok" and result["utterance_index"] == utterance
        assert all(e["at_ms"] >= 0 for e in mine)
    first = [e for e in events if e.get("utterance_index") == 0]
    second = [e for e in events if e.get("utterance_index") == 1 and e["type"] not in
              ("vad", "asr_partial")]  # fmt: skip
    assert events.index(first[-1]) < events.index(second[0])  # utterance order
    heard = of_type(events, "asr_final", 0)[0]["text"]
    assert heard.startswith("teh meeting starts now") and len(heard.split()) < 13
    assert of_type(events, "repair", 0)[0]["text"].startswith("the meeting")
    assert len(of_type(events, "translation", 0)) >= 2  # the pieces of a streamed answer
    wav = base64.b64decode(of_type(events, "audio", 0)[0]["audio"])
    assert len(wav) > 0  # pcm16 pieces by default


def test_a_client_that_leaves_mid_utterance_frees_everything(
    api: TestClient, make_package: MakePackage, tmp_path: Path
) -> None:
    log = tmp_path / "nmt-requests.log"
    speech_services(api, make_package, piece_ms=1500, log=log)
    audio = tone_bursts([(0.3, False), (1.6, True), (0.6, False), (0.6, True)])
    with api.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps(START))
        ws.receive_json()
        play(ws.send_bytes, audio, speed=2.0)
        while ws.receive_json()["type"] != "translation":  # streaming, a second utterance begun
            pass
    assert eventually(
        lambda: "/v1/translate/stream aborted" in log.read_text(), timeout_s=10,
        what="the translator to see its caller go",
    )  # fmt: skip

    def stream_work() -> list[str]:
        async def names() -> list[str]:
            tasks = asyncio.all_tasks() - {asyncio.current_task()}
            return [t.get_coro().__qualname__ for t in tasks]  # type: ignore[union-attr]

        found = api.portal.call(names)  # type: ignore[union-attr]
        return [n for n in found if any(w in n for w in ("Stream", "stream", "Piece", "_job"))]

    assert eventually(lambda: not stream_work(), timeout_s=10, what="stream tasks to end")
    assert eventually(lambda: all(api.get(f"/v1/services/{s}").json()["inflight"] == 0
                                  for s in ("asr-a", "nmt-a", "tts-a")),
                      timeout_s=10, what="no service request in flight")  # fmt: skip


def test_a_bad_start_is_refused(api: TestClient) -> None:
    with api.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps({"type": "end"}))
        error = ws.receive_json()
    assert error["type"] == "error" and error["code"] == "BAD_START"


def test_a_stream_over_the_limit_is_refused_and_the_first_goes_on(api: TestClient) -> None:
    with api.websocket_connect("/v1/stream") as first:
        first.send_text(json.dumps(START))
        assert first.receive_json()["type"] == "ready"
        with api.websocket_connect("/v1/stream") as second:
            refused = second.receive_json()
        assert refused["type"] == "error" and refused["code"] == "TOO_MANY_STREAMS"
        assert refused["category"] == "transient"
        first.send_text(json.dumps({"type": "end"}))
        done = receive_until_done(first)[-1]
        assert done["type"] == "done" and done["utterances"] == 0
    node = api.app.state.node  # type: ignore[attr-defined]
    eventually(lambda: node.open_streams == 0, what="the first stream to end")
    with api.websocket_connect("/v1/stream") as again:
        again.send_text(json.dumps(START))
        assert again.receive_json()["type"] == "ready"


def test_a_job_asking_for_a_stream_gets_the_events_as_sse(
    api: TestClient, make_package: MakePackage
) -> None:
    speech_services(api, make_package)
    body = {"src_lang": "en", "tgt_lang": "zh", "text": SAID, "session_id": "sse", "stream": True,
            "output_format": "wav"}  # fmt: skip
    with api.stream("POST", "/v1/jobs", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = [json.loads(block.split("data: ", 1)[1]) for block in raw.split("\n\n") if block]
    names = [block.split("\n")[0].removeprefix("event: ") for block in raw.split("\n\n") if block]
    assert names == [e["type"] for e in events]
    assert names[0] == "repair" and names[-1] == "result"
    pieces = of_type(events, "translation")
    assert [p["text"] for p in pieces] == [
        "zh: the meeting starts now,", "bring the contract.", "see you there at noon.",
    ]  # fmt: skip
    sounds = of_type(events, "audio")
    assert [a["index"] for a in sounds] == [0, 1, 2]
    result = events[-1]["result"]
    assert result["text_translated"] == " ".join(p["text"] for p in pieces)
    assert result["services"]["nmt"] == "nmt-a" and result["services"]["tts"] == "tts-a"
    whole = api.post("/v1/jobs", json={**body, "stream": False, "session_id": "one"}).json()
    assert whole["text_translated"] == result["text_translated"]  # the same words either way
    with wave.open(io.BytesIO(base64.b64decode(whole["audio"]))) as one:
        frames = one.getnframes()
    assert sum(a["duration_s"] for a in sounds) * 16000 == pytest.approx(frames, abs=3 * 160)
