"""Hybrid routing in numbers, in one run: what deciding costs, and how fast a failing cloud
hands over to this machine.

1. The rules alone: `route_rules.decide` over a hybrid setting with every rule on, timed per
   call (a pure function: what every routed request pays).
2. Per request through a real `voxnode up`: the same chat to the same local fake LLM host
   (a real HTTP service) with routing `local` and no cloud configured, against `hybrid` with
   a cloud configured whose rules keep the chat local (facts gathered, decided, counted);
   runs alternate, p50 difference.
3. Failover: `api` mode (cloud first) with the cloud a fake OpenAI server behind the fault
   proxy; a streamed chat's time to its first content chunk when the cloud answers, when it
   answers 503 at once, and when it accepts the request and stalls (first_token_timeout_s
   1.0 s); the local answers of the last two are the failover. Cooldown 0, so every request
   fails over anew.

Usage: python bench/routing_overhead.py [--requests 200] [--failovers 20]
Results: bench/results/routing_overhead.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from voxnode.contracts.routing_settings import StageRouting
from voxnode.evaluation.translation_metrics import percentiles
from voxnode.routing.route_rules import RouteFacts, decide
from voxnode.supervisor.port_choice import free_port
from voxnode.testing import fake_service, wait_state
from voxnode.testing.fake_package import FakeKnobs, write_fake_package
from voxnode.testing.fault_proxy import FaultProxy
from voxnode.testing.node_runner import RunningNode, run_node_process, wait_for_health

REPO = Path(__file__).resolve().parents[1]
ASK = {"messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8}


def decide_cost(calls: int) -> dict[str, float]:
    rules = StageRouting(mode="hybrid", long_context_tokens=3000, quality_under=0.5)
    facts = RouteFacts(local_available=True, cloud_available=True, context_tokens=40)
    timings = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        decide(facts, rules)
        timings.append(time.perf_counter_ns() - started)
    return {"calls": calls, "p50_us": statistics.median(timings) / 1000,
            "p95_us": sorted(timings)[int(calls * 0.95)] / 1000}  # fmt: skip


@contextlib.contextmanager
def fake_cloud() -> Iterator[FaultProxy]:
    """A fake OpenAI server (the fake service's chat face, a real HTTP process) behind the
    fault proxy."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "FAKE_REPLY": "cloud says hello"}
    process = subprocess.Popen([sys.executable, fake_service.__file__], env=env)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process, lambda: "", timeout_s=30)
        with FaultProxy(f"http://127.0.0.1:{port}") as proxy:
            yield proxy
    finally:
        process.terminate()
        process.wait(10)


def config(cloud: FaultProxy | None, mode: str) -> str:
    if cloud is None:
        return ""
    return f"""
[[routing.cloud]]
name = "cloud"
base_url = "{cloud.url}/v1"
model = "cloud-model"
api_key = "sk-bench"
stages = ["llm"]
first_token_timeout_s = 1.0
cooldown_s = 0.0

[routing.llm]
mode = "{mode}"
long_context_tokens = 3000
"""


@contextlib.contextmanager
def node_with(scratch: Path, name: str, toml: str) -> Iterator[RunningNode]:
    home = scratch / name
    home.mkdir()
    (home / "config.toml").write_text(toml)
    knobs = FakeKnobs(extra_env={"FAKE_REPLY": "local says hello"})
    package = write_fake_package(scratch / f"llm-{name}", service_id="llm-fake",
                                 service_type="llm", lang=None, knobs=knobs)  # fmt: skip
    with run_node_process(home) as node, node.client(timeout_s=60) as api:
        assert api.post("/v1/services", json={"source": str(package)}).status_code == 201
        wait_state(api, "llm-fake", "ready")
        yield node


def whole_ms(api: httpx.Client) -> float:
    started = time.perf_counter()
    answer = api.post("/v1/chat/completions", json=ASK)
    assert answer.status_code == 200, answer.text
    return (time.perf_counter() - started) * 1000


def first_token(api: httpx.Client) -> tuple[float, str]:
    """Seconds to the first content chunk of a streamed chat, and the way it went."""
    started = time.perf_counter()
    with api.stream("POST", "/v1/chat/completions", json={**ASK, "stream": True}) as answer:
        assert answer.status_code == 200, answer.read()
        way = answer.headers["X-VoxNode-Route"]
        for line in answer.iter_lines():
            if line.startswith("data: {") and '"content"' in line:
                return time.perf_counter() - started, way
    raise AssertionError("no content chunk")


def main(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"decide": decide_cost(100_000)}
    with tempfile.TemporaryDirectory() as folder, fake_cloud() as cloud:
        scratch = Path(folder)
        with (
            node_with(scratch, "local", config(None, "local")) as local,
            node_with(scratch, "hybrid", config(cloud, "hybrid")) as hybrid,
            local.client(timeout_s=60) as plain,
            hybrid.client(timeout_s=60) as routed,
        ):
            for api in (plain, routed):
                whole_ms(api)  # warm
            times: dict[str, list[float]] = {"local": [], "hybrid": []}
            for _ in range(args.requests):
                times["local"].append(whole_ms(plain))
                times["hybrid"].append(whole_ms(routed))
            assert cloud.connections == 0, "hybrid kept the short chat local"
            report["request_ms"] = {way: percentiles(t) for way, t in times.items()}
            report["routing_overhead_ms_p50"] = round(
                statistics.median(times["hybrid"]) - statistics.median(times["local"]), 3
            )
        with (
            node_with(scratch, "api", config(cloud, "api")) as api_node,
            api_node.client(timeout_s=60) as api,
        ):
            failover: dict[str, Any] = {}
            for fault in ("none", "503", "stall"):
                cloud.status = 503 if fault == "503" else None
                cloud.stall = fault == "stall"
                rows = [first_token(api) for _ in range(args.failovers)]
                failover[fault] = {"first_token_ms": percentiles([r[0] * 1000 for r in rows]),
                                   "ways": sorted({r[1] for r in rows})}  # fmt: skip
            cloud.clear()
            report["failover"] = failover
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--failovers", type=int, default=20)
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results" / "routing_overhead.json"
    )
    arguments = parser.parse_args()
    result = main(arguments)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
