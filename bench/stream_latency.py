"""Streaming latency on the default models, through a real `voxnode up`, in one run.

Recordings (single sentences, 16 kHz): English spoken by tts-en; Chinese is
tests/data/zh_contract_16k.wav and sentences spoken by tts-zh. Each is played into
WS /v1/stream in real time (after 1 s of silence), 40 ms chunks, each sent once its last
sample would have been heard, then silence until its result came: every utterance is
answered alone. Per utterance, from the end of speech (the VAD's last voiced frame, on the
player's clock) to: the endpoint (the VAD's speech_end event), the final ASR text, the
first translation piece, the first audio piece, the last audio piece.

Three ways on the same recordings in the same run, taking turns utterance by utterance (the
machine's load falls on all three alike):
- stream: pipelined (the translation streams; each clause is spoken while the next is
  translated);
- stream-whole: the same stream, VAD and early final, but the one-result job (whole
  translation, then its whole speech as one piece);
- job: POST /v1/jobs with the utterance's recording (the client sends it whole once it has
  it; the time is from that request to its result, which holds the first audio).

Usage: python bench/stream_latency.py [--zh-voice-python PATH] [--models-dir DIR]
       [--out bench/results/stream_latency.json]
`--zh-voice-python`: the interpreter of an installed tts-zh venv (tensorflow 2.15) to run
the Chinese voice with, instead of building that venv (1.5 GB) here.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import shutil
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from voxnode.testing.node_runner import RunningNode, run_node_process
from voxnode.testing.test_models import models_cache_dir

REPO = Path(__file__).resolve().parents[1]
ZH_SPEECH = REPO / "tests" / "data" / "zh_contract_16k.wav"
RATE = 16000
CHUNK_S = 0.04
ANSWER_WITHIN_S = 180.0
"""A stream gives up waiting for its utterance's result after this."""
EN_SENTENCES = [
    "Please send me the contract before Friday.",
    "The meeting starts at three o'clock in the large conference room.",
    "If it rains tomorrow, we will move the event to next Saturday.",
    "I don't think we can finish the report by tomorrow morning.",
    "The shipment arrived late, so the customer asked for a discount.",
    "Could you book a table for four people at seven tonight?",
]
ZH_SENTENCES = [
    "会议改到下午三点，地点在二楼的大会议室。",
    "如果明天下雨，我们就把活动推迟到下周六。",
    "这个项目的预算已经超过了一百万元，我们必须重新评估。",
    "请帮我订一张明天早上去上海的火车票。",
    "客户说货物晚到了两天，所以要求打折。",
]
PACKAGES = ["asr-whisper", "en-normalize", "semantic-repair-zh", "llm-local", "nmt-llm", "tts-en"]
MARKS = ["endpoint", "asr_final", "first_piece", "first_audio", "last_audio"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))], 3)


def zh_voice_package(python: str, folder: Path) -> Path:
    """packages/tts-zh run by an existing tts-zh venv's interpreter (no venv is built)."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / "packages" / "tts-zh" / "zhtts_service.py", folder)
    manifest = json.loads((REPO / "packages" / "tts-zh" / "service.json").read_text())
    manifest.pop("python", None)
    for block in manifest["platforms"].values():
        block["command"] = python
    (folder / "service.json").write_text(json.dumps(manifest))
    return folder


def install(node: RunningNode, sources: list[Path]) -> None:
    with node.client(timeout_s=1800) as client:
        for source in sources:
            answer = client.post("/v1/services", json={"source": str(source)})
            if answer.status_code != 201:
                raise SystemExit(f"install {source}: {answer.status_code} {answer.text}")
        for source in sources:
            service_id = json.loads((source / "service.json").read_text())["service_id"]
            deadline = time.monotonic() + 900
            while client.get(f"/v1/services/{service_id}").json()["state"] != "ready":
                if time.monotonic() > deadline:
                    raise SystemExit(f"{service_id} not ready: {node.log()[-2000:]}")
                time.sleep(0.5)
            print(f"{service_id}: ready", flush=True)


def speak(node: RunningNode, service_id: str, text: str, lang: str) -> bytes:
    with node.client(timeout_s=300) as client:
        url = client.get(f"/v1/services/{service_id}").json()["url"]
    body = {"text": text, "lang": lang, "format": "pcm16", "sample_rate": RATE}
    answer = httpx.post(url + "/v1/synthesize", json=body, timeout=300, trust_env=False)
    answer.raise_for_status()
    return answer.content


def wav_pcm(path: Path) -> bytes:
    with wave.open(str(path)) as recording:
        assert recording.getframerate() == RATE and recording.getsampwidth() == 2
        return recording.readframes(recording.getnframes())


def wav_of(pcm: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm)
    return out.getvalue()


def silence(seconds: float) -> bytes:
    return b"\0\0" * int(seconds * RATE)


def play(node: RunningNode, utterance: bytes, src: str, tgt: str, *,
         pipelined: bool, session: str) -> dict[str, Any]:  # fmt: skip
    """One stream: 1 s of silence, the utterance, then silence in real time until its
    result has come (it is answered alone), then `end`. Its marks in seconds after the end
    of its speech."""
    url = node.url.replace("http", "ws", 1) + "/v1/stream"
    start = {"type": "start", "src_lang": src, "tgt_lang": tgt, "session_id": session,
             "sample_rate": RATE, "pipelined": pipelined}  # fmt: skip
    seen: dict[int, dict[str, float]] = {}
    texts: dict[int, dict[str, str]] = {}
    size = int(RATE * CHUNK_S) * 2
    pcm = silence(1.0) + utterance
    with connect(url, max_size=None) as socket:
        socket.send(json.dumps(start))
        assert json.loads(socket.recv())["type"] == "ready"
        began = time.monotonic()
        number = 0
        while True:
            wait = began + (number + 1) * CHUNK_S - time.monotonic()
            while wait > 0:  # receive while waiting: the events are timed on arrival
                with contextlib.suppress(TimeoutError):
                    note(json.loads(socket.recv(timeout=wait)), began, seen, texts)
                wait = began + (number + 1) * CHUNK_S - time.monotonic()
            offset = number * size
            answered = any("result" in marks for marks in seen.values())
            if offset >= len(pcm) and (answered or number * CHUNK_S > ANSWER_WITHIN_S):
                break
            socket.send(pcm[offset : offset + size] if offset < len(pcm) else silence(CHUNK_S))
            number += 1
        socket.send(json.dumps({"type": "end"}))
        while True:
            event = json.loads(socket.recv(timeout=600))
            note(event, began, seen, texts)
            if event["type"] in ("done", "error") and event.get("utterance_index") is None:
                break
    index = min(seen) if seen else 0
    marks = seen.get(index, {})
    end = marks.get("speech_end_audio", 0.0)
    return {
        **texts.get(index, {}), "utterances_heard": len(seen),
        **{mark: round(marks[mark] - end, 3) for mark in MARKS if mark in marks},
    }  # fmt: skip


def note(event: dict[str, Any], began: float, seen: dict[int, dict[str, float]],
         texts: dict[int, dict[str, str]]) -> None:  # fmt: skip
    index, now = event.get("utterance_index"), time.monotonic() - began
    if index is None:
        return
    marks = seen.setdefault(index, {})
    kind = event["type"]
    if kind == "vad" and event["event"] == "speech_end":
        marks["speech_end_audio"] = event["audio_ms"] / 1000  # the player's clock
        marks["endpoint"] = now
    elif kind == "asr_final":
        marks["asr_final"] = now
        texts.setdefault(index, {})["asr"] = event["text"]
    elif kind == "translation":
        marks.setdefault("first_piece", now)
    elif kind == "audio":
        marks.setdefault("first_audio", now)
        marks["last_audio"] = now
    elif kind == "translation_done":
        texts.setdefault(index, {})["translation"] = event["text"]
    elif kind == "error":
        texts.setdefault(index, {})["error"] = event["code"]
    elif kind == "result":
        marks["result"] = now


def job(node: RunningNode, pcm: bytes, src: str, tgt: str, number: int) -> dict[str, Any]:
    body = {"src_lang": src, "tgt_lang": tgt, "session_id": f"bench-job-{src}",
            "audio": base64.b64encode(wav_of(pcm)).decode(), "audio_format": "wav",
            "output_format": "pcm16"}  # fmt: skip
    with node.client(timeout_s=600) as client:
        started = time.monotonic()
        result = client.post("/v1/jobs", json=body).json()
    return {
        "utterance": number,
        "result_s": round(time.monotonic() - started, 3),
        "translation": result.get("text_translated"),
        "timings": result.get("timings"),
    }


def summary(rows: list[dict[str, Any]], marks: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"utterances": len(rows)}
    for mark in marks:
        values = [r[mark] for r in rows if mark in r]
        if values:
            out[mark] = {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
                         "n": len(values)}  # fmt: skip
    return out


def main(args: argparse.Namespace) -> dict[str, Any]:
    env = {"VOXNODE_MODELS__DIR": str(args.models_dir)}
    with tempfile.TemporaryDirectory() as scratch:
        sources = [REPO / "packages" / p for p in PACKAGES]
        if args.zh_voice_python:
            sources.append(zh_voice_package(args.zh_voice_python, Path(scratch) / "tts-zh"))
        else:
            sources.append(REPO / "packages" / "tts-zh")
        with run_node_process(Path(scratch) / "home", env=env) as node:
            install(node, sources)
            english = [speak(node, "tts-en", text, "en") for text in EN_SENTENCES]
            chinese = [wav_pcm(ZH_SPEECH)] + [speak(node, "tts-zh", t, "zh") for t in ZH_SENTENCES]
            directions = {"zh->en": (chinese, "zh", "en"), "en->zh": (english, "en", "zh")}
            for utterances, src, tgt in directions.values():  # warm up every model
                play(node, utterances[0], src, tgt, pipelined=True, session=f"warm-{src}")
            report: dict[str, Any] = {"load_average_before": os.getloadavg()}
            for name, (utterances, src, tgt) in directions.items():
                rows: dict[str, list[dict[str, Any]]] = {"stream": [], "stream_whole": [],
                                                         "job": []}  # fmt: skip
                for number, utterance in enumerate(utterances):
                    rows["stream"].append(play(node, utterance, src, tgt, pipelined=True,
                                               session=f"s-{src}"))  # fmt: skip
                    rows["stream_whole"].append(play(node, utterance, src, tgt, pipelined=False,
                                                     session=f"w-{src}"))  # fmt: skip
                    rows["job"].append(job(node, utterance, src, tgt, number))
                    first = {way: r[-1].get("first_audio", r[-1].get("result_s"))
                             for way, r in rows.items()}  # fmt: skip
                    print(name, number, json.dumps(first), flush=True)
                report[name] = {
                    "stream": summary(rows["stream"], MARKS),
                    "stream_whole": summary(rows["stream_whole"], MARKS),
                    "job": summary(rows["job"], ["result_s"]), "rows": rows,
                }  # fmt: skip
            report["load_average_after"] = os.getloadavg()
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--zh-voice-python", default=None)
    parser.add_argument("--models-dir", type=Path, default=models_cache_dir())
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results" / "stream_latency.json"
    )
    arguments = parser.parse_args()
    report = main(arguments)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    for direction in ("zh->en", "en->zh"):
        print(direction, json.dumps({k: v for k, v in report[direction].items() if k != "rows"}))
