"""Soak: jobs for N minutes against a real `voxnode up`; does memory or fd use grow?

By default the node runs on a throwaway home with fake services (real HTTP subprocesses from
voxnode.testing: en/zh ASR, translator, zh voice, en repair). `--home PATH` runs the node on
an existing home instead, e.g. one where `voxnode demo` installed the real defaults, and
sends the zh recording in tests/data through it.

The load, in a loop bounded by time: speech jobs (PCM16 in, WAV out, en -> zh; zh -> en on
a real home), repairs, GET /v1/services and /metrics, and a WS /v1/events client opened and
closed every few seconds (the dashboard coming and going). Every `--interval-s` the RSS
and open file descriptors of the node and of each service process are sampled. Growth is
the last sample over the first one after `--warmup-min`; the target is under 5 %.

Usage: python bench/soak.py [--minutes 60] [--interval-s 60] [--warmup-min 2] [--home PATH]
Writes bench/results/soak.json. Not part of CI: an hour is the run to trust.
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.sync.client import connect

from voxnode.testing import PCM16, preinstall_speech_services, run_node_process, write_fake_package
from voxnode.testing.node_runner import RunningNode

RESULTS = Path(__file__).parent / "results" / "soak.json"
ZH_RECORDING = Path(__file__).parent.parent / "tests" / "data" / "zh_contract_16k.wav"
TARGET_GROWTH = 0.05
TOKEN = "soak-token"
"""The node runs with an API token, so every request also goes through the access gate."""
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Load:
    jobs: int = 0
    failed_jobs: int = 0
    repairs: int = 0
    sockets: int = 0
    errors: list[str] = field(default_factory=list)


def sample(node: RunningNode, http: httpx.Client) -> dict[str, dict[str, int]]:
    """name -> {rss, fds} for the node and each running service."""
    procs = {"node": node.process.pid}
    for status in http.get("/v1/services").json()["services"]:
        if status.get("pid"):
            procs[status["service_id"]] = int(status["pid"])
    taken: dict[str, dict[str, int]] = {}
    for name, pid in procs.items():
        try:
            proc = psutil.Process(pid)
            taken[name] = {"rss": proc.memory_info().rss, "fds": proc.num_fds(), "pid": pid}
        except psutil.Error:
            continue
    return taken


def job_body(real: bool, index: int) -> dict[str, Any]:
    if real:
        audio = base64.b64encode(ZH_RECORDING.read_bytes()).decode()
        return {"src_lang": "zh", "tgt_lang": "en", "audio": audio, "audio_format": "wav",
                "session_id": f"soak-{index % 4}", "want_audio": True}  # fmt: skip
    return {"src_lang": "en", "tgt_lang": "zh", "audio": PCM16, "audio_format": "pcm16",
            "session_id": f"soak-{index % 8}", "want_audio": True}  # fmt: skip


def drive(node: RunningNode, until: float, real: bool, load: Load) -> None:
    """One client's loop until `until`: a job, a repair, and now and then the other calls."""
    index = 0
    with httpx.Client(base_url=node.url, headers=AUTH, timeout=120, trust_env=False) as http:
        while time.monotonic() < until:
            index += 1
            try:
                result = http.post("/v1/jobs", json=job_body(real, index))
                load.jobs += 1
                if result.status_code != 200 or result.json()["status"] not in ("ok", "merged"):
                    load.failed_jobs += 1
                repair = {"job_id": f"r{index}", "session_id": "soak", "lang": "en",
                          "text_in": "teh meeting starts now"}  # fmt: skip
                http.post("/v1/repair", json=repair).raise_for_status()
                load.repairs += 1
                if index % 10 == 0:
                    http.get("/metrics").raise_for_status()
                    http.get("/v1/models").raise_for_status()
            except httpx.HTTPError as exc:
                load.errors.append(f"{type(exc).__name__}: {exc}"[:200])


def dashboards(node: RunningNode, until: float, load: Load) -> None:
    url = node.url.replace("http://", "ws://") + "/v1/events"
    while time.monotonic() < until:
        try:
            with connect(url, open_timeout=10, additional_headers=AUTH) as socket:
                socket.recv(timeout=10)
                load.sockets += 1
        except Exception as exc:  # counted, the soak goes on
            load.errors.append(f"events: {type(exc).__name__}: {exc}"[:200])
        time.sleep(3.0)


def growth(samples: list[dict[str, Any]], warmup_s: float) -> dict[str, dict[str, Any]]:
    after = [s for s in samples if s["t_s"] >= warmup_s] or samples[-1:]
    first, last = after[0]["procs"], samples[-1]["procs"]
    report: dict[str, dict[str, Any]] = {}
    for name, base in first.items():
        end = last.get(name)
        if end is None or end["pid"] != base["pid"]:
            report[name] = {"restarted_or_gone": True}
            continue
        report[name] = {
            "rss_mb": [round(base["rss"] / 2**20, 1), round(end["rss"] / 2**20, 1)],
            "rss_growth_pct": round(100 * (end["rss"] - base["rss"]) / base["rss"], 2),
            "fds": [base["fds"], end["fds"]],
            "fd_growth_pct": round(100 * (end["fds"] - base["fds"]) / max(base["fds"], 1), 2),
        }
    return report


def run(minutes: float, interval_s: float, warmup_min: float, home: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        real = home is not None
        if home is None:
            home = Path(tmp) / "home"
            preinstall_speech_services(home, Path(tmp) / "packages")
            from voxnode.contracts.node_settings import NodeSettings
            from voxnode.packages.node_home import NodeHome
            from voxnode.packages.package_installer import PackageInstaller

            repair = write_fake_package(Path(tmp) / "packages" / "fix-en", service_id="fix-en")
            PackageInstaller(NodeHome(home), NodeSettings(home=home).packages).install(str(repair))
        load = Load()
        samples: list[dict[str, Any]] = []
        with (
            run_node_process(home, env={"VOXNODE_AUTH_TOKEN": TOKEN}, ready_timeout_s=120) as node,
            httpx.Client(base_url=node.url, headers=AUTH, timeout=60, trust_env=False) as http,
        ):
            deadline = time.monotonic() + 300
            while not all(
                s["state"] == "ready" for s in http.get("/v1/services").json()["services"]
            ):
                assert time.monotonic() < deadline, "services not ready"
                time.sleep(0.5)
            started = time.monotonic()
            until = started + minutes * 60
            workers = [
                threading.Thread(target=drive, args=(node, until, real, load)),
                threading.Thread(target=drive, args=(node, until, real, load)),
                threading.Thread(target=dashboards, args=(node, until, load)),
            ]
            for worker in workers:
                worker.start()
            while True:
                now = time.monotonic()
                samples.append({"t_s": round(now - started, 1), "procs": sample(node, http)})
                rss_mb = {k: v["rss"] // 2**20 for k, v in samples[-1]["procs"].items()}
                print(
                    json.dumps({"t_s": samples[-1]["t_s"], "jobs": load.jobs, **rss_mb}), flush=True
                )
                if now >= until:
                    break
                time.sleep(min(interval_s, max(until - now, 0) + 0.5))
            for worker in workers:
                worker.join()
    report = growth(samples, warmup_min * 60)
    worst = max(
        (max(v["rss_growth_pct"], v["fd_growth_pct"]) for v in report.values() if "fds" in v),
        default=0.0,
    )
    return {
        "minutes": minutes, "home": "real" if real else "fake services",
        "warmup_min": warmup_min, "interval_s": interval_s,
        "jobs": load.jobs, "failed_jobs": load.failed_jobs, "repairs": load.repairs,
        "event_sockets": load.sockets, "client_errors": len(load.errors),
        "first_errors": load.errors[:5], "growth": report,
        "worst_growth_pct": worst, "target_pct": TARGET_GROWTH * 100,
        "within_target": worst < TARGET_GROWTH * 100, "samples": samples,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--interval-s", type=float, default=60.0)
    parser.add_argument("--warmup-min", type=float, default=2.0)
    parser.add_argument("--home", type=Path, default=None, help="a home with real services")
    args = parser.parse_args()
    result = run(args.minutes, args.interval_s, args.warmup_min, args.home)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
