"""Cluster mode's promise under a fault: one nats-server and three `voxnode up --nats` nodes
finish --jobs dispatched jobs with none lost and none doubled while one node is SIGKILLed
(with its services, mid-job) and started again on the same home.

The translator (fake, a real HTTP subprocess) takes --service-ms per job, so jobs are in
flight when the node dies; ack_wait is 2 s, so its jobs go to the others 2 s later.
Checks: one outcome per job (the dispatcher saw no second one), every one a result, every
session released in utterance order, the jobs stream empty at the end.
Usage: python bench/cluster_kill_restart.py [--jobs 1000] [--kill-at 200]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from voxnode.cluster import Dispatcher
from voxnode.cluster import cluster_names as names
from voxnode.cluster.cluster_status import read_status
from voxnode.cluster.nats_connection import connect
from voxnode.contracts.cluster_messages import JobOutcome, OutcomeKind
from voxnode.contracts.job import JobRequest
from voxnode.contracts.node_settings import ClusterSettings
from voxnode.testing import FakeKnobs
from voxnode.testing.cluster_nodes import ClusterNodeProcess, FakeTranslator, run_cluster_node
from voxnode.testing.nats_runner import run_nats_server

SESSIONS = 50
ENV = {"VOXNODE_CLUSTER__ACK_WAIT_S": "2", "VOXNODE_CLUSTER__IN_PROGRESS_S": "0.5"}


async def wait_nodes(url: str, wanted: set[str]) -> None:
    settings = ClusterSettings(nats_url=url)
    for _ in range(600):
        view = await read_status(settings)
        if {n.node_id for n in view.nodes if n.pairs} >= wanted:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"nodes {wanted} did not show up")


async def run(root: Path, url: str, args: argparse.Namespace, stack: ExitStack) -> int:
    services = FakeTranslator(nmt=FakeKnobs(slow_ms=args.service_ms))

    def start(name: str) -> ClusterNodeProcess:
        return stack.enter_context(
            run_cluster_node(root / name, url, node_id=name, services=services, env=ENV)
        )

    nodes = {name: start(name) for name in ("n1", "n2", "n3")}
    await wait_nodes(url, set(nodes))
    released: list[JobOutcome] = []
    events: dict[str, float] = {}
    kill_now = asyncio.Event()

    def release(outcome: JobOutcome) -> None:
        released.append(outcome)
        if len(released) >= args.kill_at:
            kill_now.set()

    async with Dispatcher(ClusterSettings(nats_url=url), on_release=release) as dispatcher:
        started = time.monotonic()
        ids = []
        for i in range(args.jobs):
            request = JobRequest(
                session_id=f"s{i % SESSIONS}", src_lang="zh", tgt_lang="en",
                text=f"sentence number {i} here", want_audio=False, want_repair=False,
            )  # fmt: skip
            ids.append(await dispatcher.submit(request))
        await kill_now.wait()
        nodes["n3"].kill()
        events["killed"] = time.monotonic() - started
        print(f"{events['killed']:6.2f} s  n3 SIGKILLed after {len(released)} outcomes")
        nodes["n3"] = await asyncio.to_thread(start, "n3")
        await wait_nodes(url, {"n3"})
        events["restarted"] = time.monotonic() - started
        back_at = time.time()
        print(f"{events['restarted']:6.2f} s  n3 back (same home) after {len(released)} outcomes")
        await asyncio.wait_for(asyncio.gather(*(dispatcher.wait(i) for i in ids)), 300)
        elapsed = time.monotonic() - started
        await asyncio.sleep(2.5)  # a doubled outcome would arrive by now
        stats = dispatcher.stats
    nc = await connect(url, name="bench", reconnect_wait_s=0.5)
    left = (await nc.jetstream().stream_info(names.JOBS_STREAM)).state.messages
    await nc.close()
    by_session: dict[str, list[int]] = {}
    for outcome in released:
        by_session.setdefault(outcome.session_id, []).append(outcome.utterance_index)
    in_order = all(indices == sorted(indices) for indices in by_session.values())
    after_restart = sum(1 for o in released if o.node_id == "n3" and o.finished_at > back_at)
    checks = {
        "outcomes": len(released),
        "distinct jobs": len({o.job_id for o in released}),
        "results": sum(1 for o in released if o.kind is OutcomeKind.RESULT),
        "doubled outcomes": stats.doubled_outcomes,
        "late (out of order)": stats.late,
        "sessions in order": in_order,
        "left in the jobs stream": left,
    }
    print(f"{elapsed:6.2f} s  all outcomes: {args.jobs / elapsed:.0f} jobs/s")
    for key, value in checks.items():
        print(f"  {key:26} {value}")
    print(
        f"  by node                    {dict(sorted(Counter(o.node_id for o in released).items()))}"
    )
    print(f"  redelivered (attempts > 1) {sum(1 for o in released if o.attempts > 1)}")
    print(f"  done by n3 after restart   {after_restart}")
    ok = (
        len(released) == len({o.job_id for o in released}) == checks["results"] == args.jobs
        and stats.doubled_outcomes == 0 and in_order and left == 0
    )  # fmt: skip
    print("PASS: none lost, none doubled" if ok else "FAIL")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--kill-at", type=int, default=200)
    parser.add_argument("--service-ms", type=int, default=50)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_nats_server(Path(tmp) / "nats") as nats,
        ExitStack() as stack,
    ):
        code = asyncio.run(run(Path(tmp), nats.url, args, stack))
    raise SystemExit(code)


if __name__ == "__main__":
    main()
