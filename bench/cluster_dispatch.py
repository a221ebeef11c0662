"""Cluster mode: dispatch overhead per job, and jobs per second with three nodes against one.

One nats-server and real `voxnode up --nats` nodes with fake ASR and translator services
(real HTTP subprocesses), text jobs (zh -> en, no repair, no speech out):
  overhead    the same node, sequential jobs: Dispatcher.run (JetStream pull, results
              bucket, release) against a direct POST /v1/jobs; p50 / p95 of each, per job
  throughput  --burst jobs over 20 sessions submitted at once, first submit to last outcome,
              on one node and on three, with the translator answering at once (this 2-core
              machine's CPU is the limit) and after --service-ms (the service is the limit)
Usage: python bench/cluster_dispatch.py [--jobs 200] [--burst 600] [--service-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from voxnode.cluster import Dispatcher
from voxnode.cluster.cluster_status import read_status
from voxnode.contracts.job import JobRequest
from voxnode.contracts.node_settings import ClusterSettings
from voxnode.testing import FakeKnobs
from voxnode.testing.cluster_nodes import FakeTranslator, run_cluster_node
from voxnode.testing.nats_runner import run_nats_server

BENCH_ENV = {"VOXNODE_CLUSTER__ACK_WAIT_S": "30", "VOXNODE_CLUSTER__IN_PROGRESS_S": "10"}


def job(index: int, session: str) -> JobRequest:
    return JobRequest(
        session_id=session, src_lang="zh", tgt_lang="en", text=f"sentence number {index} here",
        want_audio=False, want_repair=False,
    )  # fmt: skip


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=20)
    return f"p50 {statistics.median(values):.2f} ms, p95 {cuts[18]:.2f} ms"


async def wait_nodes(url: str, count: int) -> None:
    settings = ClusterSettings(nats_url=url)
    for _ in range(600):
        if sum(1 for n in (await read_status(settings)).nodes if n.pairs) >= count:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{count} node(s) did not show up with pairs")


async def overhead(url: str, node_url: str, jobs: int) -> tuple[float, float]:
    async with httpx.AsyncClient(base_url=node_url, timeout=30, trust_env=False) as client:
        for i in range(20):  # warm-up
            (
                await client.post("/v1/jobs", json=job(i, "warm").model_dump(mode="json"))
            ).raise_for_status()
        direct, direct_beyond = [], []
        for i in range(jobs):
            body = job(i, "direct").model_dump(mode="json")
            started = time.perf_counter()
            answer = await client.post("/v1/jobs", json=body)
            wall = (time.perf_counter() - started) * 1000
            answer.raise_for_status()
            direct.append(wall)
            direct_beyond.append(wall - answer.json()["timings"]["total_ms"])
    async with Dispatcher(ClusterSettings(nats_url=url)) as dispatcher:
        for i in range(20):
            await dispatcher.run(job(i, "warm-d"))
        dispatched, dispatched_beyond = [], []
        for i in range(jobs):
            started = time.perf_counter()
            outcome = await dispatcher.run(job(i, "dispatch"))
            wall = (time.perf_counter() - started) * 1000
            assert outcome.kind == "result" and outcome.result is not None, outcome
            dispatched.append(wall)
            dispatched_beyond.append(wall - outcome.result.timings.total_ms)
    print(f"  direct POST /v1/jobs  {percentiles(direct)}")
    print(f"  Dispatcher.run        {percentiles(dispatched)}")
    print(f"  beyond the orchestrator's own total_ms: direct {percentiles(direct_beyond)}")
    print(f"                                        dispatch {percentiles(dispatched_beyond)}")
    return statistics.median(direct), statistics.median(dispatched)


async def burst(url: str, jobs: int, label: str) -> float:
    async with Dispatcher(ClusterSettings(nats_url=url)) as dispatcher:
        started = time.perf_counter()
        ids = [await dispatcher.submit(job(i, f"{label}-{i % 20}")) for i in range(jobs)]
        outcomes = await asyncio.gather(*(dispatcher.wait(i) for i in ids))
        elapsed = time.perf_counter() - started
        assert len({o.job_id for o in outcomes}) == jobs and dispatcher.stats.doubled_outcomes == 0
    rate = jobs / elapsed
    nodes = sorted({o.node_id or "" for o in outcomes})
    print(
        f"  {label:28} {jobs} jobs in {elapsed:.2f} s: {rate:.0f} jobs/s (nodes {', '.join(nodes)})"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--service-ms", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, run_nats_server(Path(tmp) / "nats") as nats:
        root = Path(tmp)
        fast, slow = FakeTranslator(), FakeTranslator(nmt=FakeKnobs(slow_ms=args.service_ms))
        rates: dict[str, float] = {}
        with run_cluster_node(
            root / "n1", nats.url, node_id="n1", services=fast, env=BENCH_ENV
        ) as n1:
            asyncio.run(wait_nodes(nats.url, 1))
            print(f"overhead, {args.jobs} sequential jobs on one node:")
            direct, dispatched = asyncio.run(overhead(nats.url, n1.node.url, args.jobs))
            print(f"  dispatch overhead p50 {dispatched - direct:.2f} ms per job")
            print(f"throughput, {args.burst} jobs at once:")
            rates["fast1"] = asyncio.run(burst(nats.url, args.burst, "1 node, instant service"))
        with ExitStack() as stack:
            for name in ("f1", "f2", "f3"):
                stack.enter_context(
                    run_cluster_node(
                        root / name, nats.url, node_id=name, services=fast, env=BENCH_ENV
                    )
                )
            asyncio.run(wait_nodes(nats.url, 3))
            rates["fast3"] = asyncio.run(burst(nats.url, args.burst, "3 nodes, instant service"))
        with run_cluster_node(root / "s1", nats.url, node_id="s1", services=slow, env=BENCH_ENV):
            asyncio.run(wait_nodes(nats.url, 1))
            rates["slow1"] = asyncio.run(
                burst(nats.url, args.burst, f"1 node, {args.service_ms} ms service")
            )
        with ExitStack() as stack:
            for name in ("s1", "s2", "s3"):
                stack.enter_context(
                    run_cluster_node(
                        root / name, nats.url, node_id=name, services=slow, env=BENCH_ENV
                    )
                )
            asyncio.run(wait_nodes(nats.url, 3))
            rates["slow3"] = asyncio.run(
                burst(nats.url, args.burst, f"3 nodes, {args.service_ms} ms service")
            )
        print(
            f"3 nodes / 1 node: x{rates['fast3'] / rates['fast1']:.2f} (instant service), "
            f"x{rates['slow3'] / rates['slow1']:.2f} ({args.service_ms} ms service)"
        )


if __name__ == "__main__":
    main()
