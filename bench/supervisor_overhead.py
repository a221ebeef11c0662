"""Supervisor overhead: spawn-to-ready time minus the service's own load time.

Each run starts the fake service (a real subprocess, stdlib HTTP server) with a fixed load
delay through the real ProcessSupervisor. The service reports when its code started and when
its load finished, so the run splits into:
  boot      spawn -> the service's first line of Python (interpreter start, not ours)
  load      the service's own loading (FAKE_LOAD_DELAY_S)
  detect    load finished -> the supervisor saw ok+warmed (polling; this is our overhead)
overhead = spawn-to-ready - load.   Usage: python bench/supervisor_overhead.py [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from voxnode.contracts.node_settings import SupervisorSettings
from voxnode.contracts.service_manifest import load_manifest
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.supervisor.pid_files import PidFiles
from voxnode.supervisor.process_supervisor import ProcessSupervisor
from voxnode.testing import FakeKnobs, write_fake_package


async def one_run(tmp: Path, index: int, load_s: float) -> dict[str, float]:
    folder = write_fake_package(
        tmp / f"pkg{index}", service_id=f"bench{index}", knobs=FakeKnobs(load_delay_s=load_s)
    )
    supervisor = ProcessSupervisor(
        settings=SupervisorSettings(), logs_dir=tmp / "logs", pid_files=PidFiles(tmp / "run")
    )
    await supervisor.open()
    supervisor.add(ServiceSpec(manifest=load_manifest(folder), path=folder))
    spawn = time.time()
    status = await supervisor.start(f"bench{index}")
    ready = time.time()
    async with httpx.AsyncClient() as client:
        detail = (await client.get(f"{status.url}/health")).json()["detail"]
    await supervisor.shutdown()
    return {
        "spawn_to_ready_s": ready - spawn,
        "boot_s": detail["process_started_at"] - spawn,
        "load_s": detail["ready_at"] - detail["process_started_at"],
        "detect_s": ready - detail["ready_at"],
        "overhead_s": (ready - spawn) - (detail["ready_at"] - detail["process_started_at"]),
    }


async def main(runs: int, load_s: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        results = [await one_run(Path(tmp), i, load_s) for i in range(runs)]
    summary: dict[str, object] = {"runs": runs, "service_load_delay_s": load_s}
    for key in results[0]:
        values = sorted(r[key] for r in results)
        summary[f"{key}_p50"] = round(statistics.median(values), 4)
        summary[f"{key}_max"] = round(values[-1], 4)
    summary["overhead_ratio_p50"] = round(
        statistics.median(r["overhead_s"] / r["spawn_to_ready_s"] for r in results), 4
    )
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--load-s", type=float, default=1.0)
    args = parser.parse_args()
    result = asyncio.run(main(args.runs, args.load_s))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "supervisor_overhead.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
