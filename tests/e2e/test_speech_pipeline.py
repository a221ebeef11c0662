"""Speech in, speech out, on the real default models (marked `models`)."""

from __future__ import annotations

import base64
import json
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore
from voxnode.testing import wait_state
from voxnode.testing.lingua_peer import LinguaPeer, heartbeat_with_pairs, receive, register
from voxnode.testing.node_runner import RunningNode, run_node_process
from voxnode.testing.test_models import DEFAULT, models_cache_dir

pytestmark = [pytest.mark.models, pytest.mark.shares_processes]
REPO = Path(__file__).resolve().parents[2]
ZH_SPEECH = REPO / "tests" / "data" / "zh_contract_16k.wav"
PACKAGES = ["llm-local", "asr-whisper", "semantic-repair-zh", "en-normalize", "nmt-llm", "tts-en"]
MODELS = ["whisper-base-ct2", DEFAULT, "libime-zh-lm", "pycorrector-zh-data"]


@pytest.fixture(scope="module")
def peer() -> Iterator[LinguaPeer]:
    """A lingua-shaped scheduler the node joins (used by the job_assign test)."""
    with LinguaPeer() as running:
        yield running


@pytest.fixture(scope="module")
def node_process(
    tmp_path_factory: pytest.TempPathFactory, peer: LinguaPeer
) -> Iterator[RunningNode]:
    """One `voxnode up` for the module (a real process, as users run it): models load once."""
    store = ModelStore(models_cache_dir(), ModelCatalog.load())
    for model in MODELS:
        store.pull(model)
    env = {
        "VOXNODE_MODELS__DIR": str(models_cache_dir()),
        "VOXNODE_PIPELINE__NMT_TIMEOUT_MS": "60000",
        "VOXNODE_SCHEDULER_URL": peer.url,  # its ack waits for the test: the node waits long
        "VOXNODE_AGENT__RECONNECT_MIN_S": "0.2",
        "VOXNODE_AGENT__REGISTER_TIMEOUT_S": "600",
    }
    home = tmp_path_factory.mktemp("e2e") / "home"
    with run_node_process(home, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def node(node_process: RunningNode) -> Iterator[httpx.Client]:
    with node_process.client(timeout_s=300) as api:
        for package in PACKAGES:
            response = api.post("/v1/services", json={"source": str(REPO / "packages" / package)})
            assert response.status_code == 201, response.text
        for package in PACKAGES:
            wait_state(api, package, "ready", timeout_s=600)
        yield api


def run_job(api: httpx.Client, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/jobs", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["status"] == "ok", (result["degraded"], result["reason_codes"])
    return result


def transcribe(api: httpx.Client, audio_b64: str, language: str) -> str:
    url = api.get("/v1/services/asr-whisper").json()["url"]
    body = {"audio": audio_b64, "audio_format": "wav", "language": language}
    answer = httpx.post(url + "/v1/transcribe", json=body, timeout=120, trust_env=False)
    assert answer.status_code == 200, answer.text
    text: str = answer.json()["text"]
    return text


def test_speech_in_both_directions(node: httpx.Client) -> None:
    """zh speech -> en speech, en speech -> zh."""
    audio = base64.b64encode(ZH_SPEECH.read_bytes()).decode()
    result = run_job(node, src_lang="zh", tgt_lang="en", audio=audio, session_id="zh-en")
    assert "合同" in result["text_asr"] and "周五" in result["text_asr"]
    english = result["text_translated"].lower()
    assert "contract" in english and "friday" in english
    heard = transcribe(node, result["audio"], "en").lower()
    assert "contract" in heard and "friday" in heard, heard
    assert set(result["services"]) == {"asr", "repair", "nmt", "tts"}
    assert result["timings"]["total_ms"] > result["timings"]["asr_ms"] > 0

    spoken = node.post("/v1/jobs", json={  # English speech from the English voice, as Opus
        "src_lang": "zh", "tgt_lang": "en", "text": "请在周五之前把报告发给我。",
        "session_id": "voice", "output_format": "opus",
    }).json()  # fmt: skip
    assert spoken["audio"] and spoken["audio_format"] == "opus", spoken
    result = run_job(
        node, src_lang="en", tgt_lang="zh", audio=spoken["audio"], audio_format="opus",
        want_audio=False, session_id="en-zh",
    )  # fmt: skip
    assert "friday" in result["text_asr"].lower() and "report" in result["text_asr"].lower()
    assert "报告" in result["text_translated"] and "周五" in result["text_translated"]
    assert result["services"]["asr"] == "asr-whisper"


def test_a_scheduler_job_with_pcm16_chinese_speech(node: httpx.Client, peer: LinguaPeer) -> None:
    """lingua's job_assign (raw PCM16, no WAV header) in, a correct job_result out."""
    connection = peer.connection()
    register(connection, "node-E2E00001")
    beat = heartbeat_with_pairs(connection)
    assert {"src": "zh", "tgt": "en", "speech_out": True} in beat["language_capabilities"]["pairs"]
    with wave.open(str(ZH_SPEECH)) as recording:
        rate, pcm = recording.getframerate(), recording.readframes(recording.getnframes())
    connection.send(json.dumps({
        "type": "job_assign", "job_id": "e2e-1", "attempt_id": 1, "session_id": "web",
        "utterance_index": 0, "src_lang": "zh", "tgt_lang": "en",
        "pipeline": {"use_asr": True, "use_nmt": True, "use_tts": True, "use_semantic": True,
                     "use_tone": False},
        "audio": base64.b64encode(pcm).decode(), "audio_format": "pcm16", "sample_rate": rate,
        "trace_id": "t", "is_manual_cut": True,
    }))  # fmt: skip
    result = receive(connection, "job_result", timeout_s=120)
    assert result["success"] and result["node_id"] == "node-E2E00001", result
    assert "合同" in result["text_asr"] and "周五" in result["text_asr"]
    english = result["text_translated"].lower()
    assert "contract" in english and "friday" in english
    assert base64.b64decode(result["tts_audio"])[:4] == b"RIFF"
    assert result["asr_quality_level"] in ("good", "suspect")


ML_LIBRARIES = ("libctranslate2", "libllama", "libggml", "onnxruntime", "tensorflow", "libkenlm")


def loaded_libraries(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/<pid>/maps")
def test_plan_d_the_node_loads_no_ml_library_and_each_service_runs_its_own_venv(
    node: httpx.Client, node_process: RunningNode
) -> None:
    run_job(node, src_lang="zh", tgt_lang="en", text="请在周五之前把报告发给我。", session_id="d")
    node_maps = loaded_libraries(node_process.process.pid)
    assert [lib for lib in ML_LIBRARIES if lib in node_maps] == []
    asr = node.get("/v1/services/asr-whisper").json()
    assert "libctranslate2" in loaded_libraries(asr["pid"])  # the check sees what is loaded
    for package in PACKAGES:
        pid = node.get(f"/v1/services/{package}").json()["pid"]
        interpreter = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        assert interpreter == str(
            node_process.home / "services" / package / "1.0.0" / ".venv" / "bin" / "python"
        )
