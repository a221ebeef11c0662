"""Chaos: 1,000 jobs from concurrent clients while a random service is SIGKILLed every few
seconds; the same jobs without kills first, for the latency yardstick.

Reports per run: jobs answered and lost (must be 0), ok / degraded / failed, what degraded,
kills, failovers (the node's voxnode_failovers_total), p50 / p95 latency.

Default: fake services (voxnode.testing) with realistic delays on a real `voxnode up`,
two ASR, repair, translation and TTS services (zh and en). --real: the shipped packages on
the real models (slow on a CPU: use fewer jobs).

Usage: python bench/chaos_jobs.py [--jobs 1000] [--clients 8] [--kill-every-s 3]
       [--real --models-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import re
import tempfile
from pathlib import Path

import httpx

from voxnode.packages.shipped_packages import shipped_package
from voxnode.testing import wait_state
from voxnode.testing.chaos import NODE_ENV, ChaosReport, fake_packages, run_chaos, silence_wav
from voxnode.testing.node_runner import run_node_process

REPO = Path(__file__).resolve().parents[1]
REAL = ["llm-local", "asr-whisper", "semantic-repair-zh", "en-normalize", "nmt-llm", "tts-en"]
ZH_SPEECH = REPO / "tests" / "data" / "zh_contract_16k.wav"


def failovers(url: str) -> int:
    text = httpx.get(f"{url}/metrics", trust_env=False).text
    counts = re.findall(r"^voxnode_failovers_total\{.*\} (\S+)$", text, re.M)
    return int(sum(float(count) for count in counts))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kill-every-s", type=float, default=3.0)
    parser.add_argument("--real", action="store_true")
    parser.add_argument("--models-dir", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaos-"))
    env = dict(NODE_ENV)
    if args.models_dir:
        env["VOXNODE_MODELS__DIR"] = str(args.models_dir)
    sources = [shipped_package(p) for p in REAL] if args.real else fake_packages(work / "pkgs")
    speech = {"zh": base64.b64encode(ZH_SPEECH.read_bytes()).decode()} if args.real else {
        "zh": silence_wav(), "en": silence_wav(),
    }  # fmt: skip
    with run_node_process(work / "home", env=env, ready_timeout_s=120) as node:
        with node.client(timeout_s=900) as api:
            ids = []
            for source in sources:
                status = api.post("/v1/services", json={"source": str(source)}).json()
                ids.append(status["service_id"])
            for service_id in ids:
                wait_state(api, service_id, "ready", timeout_s=900)
        victims = [i for i in ids if i != "en-normalize"]
        reports: list[tuple[str, ChaosReport, int]] = []
        for name, every in (("no kills", None), ("kills", args.kill_every_s)):
            before = failovers(node.url)
            report = asyncio.run(run_chaos(
                node.url, jobs=args.jobs, clients=args.clients, victims=victims,
                kill_every_s=every, speech=speech,
            ))  # fmt: skip
            reports.append((name, report, failovers(node.url) - before))
            print(f"{report.line(name)} failovers {reports[-1][2]}", flush=True)
            if report.degraded_stages:
                print(f"           degraded: {dict(report.degraded_stages)}")
            if report.kills:
                print(f"           killed: {dict(report.kills)}")
            for reason in report.lost_reasons[:5]:
                print(f"           lost: {reason}")
    calm, chaos = reports[0][1], reports[1][1]
    print(f"p50 ratio kills / no kills: {chaos.percentile(0.5) / max(calm.percentile(0.5), 1):.2f}")


if __name__ == "__main__":
    main()
