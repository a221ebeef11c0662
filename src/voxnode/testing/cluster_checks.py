"""What cluster tests share: a real `nats-server -js` (store under tmp), real
`voxnode up --nats` node processes with fast fake services, the real Dispatcher; checks that
read the cluster's presence and JetStream state."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
import pytest

from voxnode.contracts.cluster_messages import NodePresence
from voxnode.contracts.job import JobRequest
from voxnode.contracts.node_settings import ClusterSettings
from voxnode.testing.nats_runner import nats_server_binary

if TYPE_CHECKING:  # nats-py is the `cluster` extra: each test module imports it or skips
    from nats.js import JetStreamContext

    from voxnode.cluster.cluster_status import ClusterView

needs_nats_server = pytest.mark.skipif(
    nats_server_binary() is None, reason="needs the nats-server program (make setup installs it)"
)

PairSet = set[tuple[str, str]]
ZH_EN: PairSet = {("zh", "en"), ("en", "zh")}
JA_EN: PairSet = {("ja", "en"), ("en", "ja")}


def site_settings(url: str, **fields: float) -> ClusterSettings:
    return ClusterSettings(nats_url=url, reconnect_wait_s=0.2, **fields)


def text_job(index: int, *, session: str = "s", src: str = "zh", tgt: str = "en") -> JobRequest:
    return JobRequest(
        session_id=session, src_lang=src, tgt_lang=tgt, text=f"sentence number {index} here",
        want_audio=False, want_repair=False,
    )  # fmt: skip


def pairs_of(node: NodePresence) -> PairSet:
    return {(p.src, p.tgt) for p in node.pairs}


async def wait_for_nodes(
    url: str, expected: dict[str, PairSet], timeout_s: float = 30.0
) -> ClusterView:
    """Until the presence bucket shows exactly these nodes with exactly these pairs."""
    from voxnode.cluster.cluster_status import read_status

    deadline = time.monotonic() + timeout_s
    while True:
        view = await read_status(site_settings(url))
        seen = {node.node_id: pairs_of(node) for node in view.nodes}
        if seen == expected:
            return view
        assert time.monotonic() < deadline, f"presence {seen}, wanted {expected}"
        await anyio.sleep(0.1)


async def jobs_done(url: str) -> dict[str, int]:
    from voxnode.cluster.cluster_status import read_status

    view = await read_status(site_settings(url))
    return {node.node_id: node.jobs_done for node in view.nodes}


async def steady_jobs_done(url: str) -> dict[str, int]:
    """The nodes' outcome counts once two readings a second apart (two heartbeats) agree."""
    now = await jobs_done(url)
    while True:
        await anyio.sleep(1.0)
        now, then = await jobs_done(url), now
        if now == then:
            return now


async def settled_jobs_done(url: str, expected_total: int, timeout_s: float = 10.0) -> int:
    """The nodes' outcome counts once presence caught up (it lags a heartbeat); then one
    more heartbeat, so a count still rising would show."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sum((await jobs_done(url)).values()) >= expected_total:
            break
        await anyio.sleep(0.1)
    await anyio.sleep(1.0)
    return sum((await jobs_done(url)).values())


@asynccontextmanager
async def jetstream(url: str) -> AsyncIterator[JetStreamContext]:
    from voxnode.cluster.nats_connection import connect

    nc = await connect(url, name="test", reconnect_wait_s=0.2)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()
