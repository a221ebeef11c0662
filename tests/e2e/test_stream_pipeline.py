"""WS /v1/stream on the real models (marked `models`), zh -> en: a recording played in real
time; the final transcript and translation equal the one-result job's for the same audio;
the audio pieces play back as one utterance (none lost or doubled); the first clause is
spoken before the whole translation is done. (Partial texts before the final are tested
with fake services: here they come only when a decode is faster than the speaker, which a
loaded 2-core machine does not promise.)"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore
from voxnode.testing import RunningNode, run_node_process
from voxnode.testing.stream_client import chunks, of_type
from voxnode.testing.test_models import DEFAULT, models_cache_dir

pytestmark = [pytest.mark.models, pytest.mark.shares_processes]
REPO = Path(__file__).resolve().parents[2]
ZH_SPEECH = REPO / "tests" / "data" / "zh_contract_16k.wav"
PACKAGES = ["asr-whisper", "semantic-repair-zh", "llm-local", "nmt-llm", "tts-en"]
MODELS = ["whisper-base-ct2", DEFAULT, "libime-zh-lm", "pycorrector-zh-data"]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    store = ModelStore(models_cache_dir(), ModelCatalog.load())
    for model in MODELS:
        store.pull(model)
    home = tmp_path_factory.mktemp("stream-e2e") / "home"
    env = {"VOXNODE_MODELS__DIR": str(models_cache_dir()),
           "VOXNODE_PIPELINE__NMT_TIMEOUT_MS": "120000"}  # fmt: skip
    with run_node_process(home, env=env) as running, running.client(timeout_s=900) as client:
        for package in PACKAGES:
            answer = client.post("/v1/services", json={"source": str(REPO / "packages" / package)})
            assert answer.status_code == 201, answer.text
        for package in PACKAGES:
            deadline = time.monotonic() + 900
            while client.get(f"/v1/services/{package}").json()["state"] != "ready":
                assert time.monotonic() < deadline, running.log()[-3000:]
                time.sleep(0.5)
        yield running


def stream(node: RunningNode, pcm: bytes, rate: int) -> list[dict[str, Any]]:
    """The recording played in real time (then 1.5 s of silence), every event until done."""
    url = node.url.replace("http", "ws", 1) + "/v1/stream"
    start = {"type": "start", "src_lang": "zh", "tgt_lang": "en", "session_id": "e2e-stream",
             "sample_rate": rate}  # fmt: skip
    events: list[dict[str, Any]] = []
    with connect(url, max_size=None) as socket:
        socket.send(json.dumps(start))
        began = time.monotonic()
        for number, chunk in enumerate(chunks(pcm + b"\0\0" * int(1.5 * rate), rate)):
            time.sleep(max(0.0, began + (number + 1) * 0.1 - time.monotonic()))
            socket.send(chunk)
        socket.send(json.dumps({"type": "end"}))
        while not events or events[-1]["type"] not in ("done", "error"):
            events.append(json.loads(socket.recv(timeout=300)))
    return events


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def test_a_live_recording_matches_the_one_result_job_and_plays_as_one(node: RunningNode) -> None:
    with wave.open(str(ZH_SPEECH)) as recording:
        rate, pcm = recording.getframerate(), recording.readframes(recording.getnframes())
    events = stream(node, pcm, rate)
    assert events[-1]["type"] == "done" and events[-1]["utterances"] == 1, events[-3:]
    final = of_type(events, "asr_final")[0]
    committed = [p["committed"] for p in of_type(events, "asr_partial")]
    assert all(b.startswith(a) for a, b in itertools.pairwise(committed))

    with node.client(timeout_s=300) as client:
        whole = client.post("/v1/jobs", json={
            "src_lang": "zh", "tgt_lang": "en", "session_id": "e2e-whole",
            "audio": base64.b64encode(ZH_SPEECH.read_bytes()).decode(), "audio_format": "wav",
        }).json()  # fmt: skip
    done = of_type(events, "translation_done")[0]
    assert final["text"] == whole["text_asr"], (final, whole["text_asr"])
    assert done["text"] == whole["text_translated"], (done, whole["text_translated"])

    pieces, sounds = of_type(events, "translation"), of_type(events, "audio")
    assert len(pieces) >= 2, pieces  # a sentence of two clauses
    assert [p["index"] for p in pieces] == list(range(len(pieces)))
    assert [(a["index"], a["text"]) for a in sounds] == [(p["index"], p["text"]) for p in pieces]
    assert events.index(sounds[0]) < events.index(done)  # spoken before the whole was done
    spoken = b"".join(base64.b64decode(a["audio"]) for a in sounds)  # PCM16 pieces
    rate_out = sounds[0]["sample_rate"]
    assert len(spoken) / 2 / rate_out == pytest.approx(sum(a["duration_s"] for a in sounds),
                                                       abs=0.05)  # fmt: skip
    heard = transcribe(node, spoken, rate_out)
    said = words(done["text"])
    for word in ("contract", "friday"):
        assert heard.count(word) == said.count(word) == 1, (heard, said)
    assert abs(len(heard) - len(said)) <= max(2, len(said) // 5), (heard, said)


def transcribe(node: RunningNode, pcm: bytes, rate: int) -> list[str]:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    with node.client() as client:
        url = client.get("/v1/services/asr-whisper").json()["url"]
    body = {"audio": base64.b64encode(out.getvalue()).decode(), "audio_format": "wav",
            "language": "en"}  # fmt: skip
    answer = httpx.post(url + "/v1/transcribe", json=body, timeout=300, trust_env=False)
    assert answer.status_code == 200, answer.text
    return words(answer.json()["text"])
