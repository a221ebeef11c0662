"""Work shared over three real nodes: a and b serve zh<->en (b's translator 60 ms slower, so
jobs finish out of order), c serves only ja<->en with a translator slower than ack_wait."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import httpx
import pytest

pytest.importorskip("nats", reason="cluster mode needs the cluster extra (nats-py)")

from voxnode.cluster import Dispatcher
from voxnode.cluster import cluster_names as names
from voxnode.cluster.cluster_status import read_status
from voxnode.cluster.outcome_store import OutcomeStore
from voxnode.contracts.cluster_messages import ClusterJob, JobOutcome, OutcomeKind
from voxnode.contracts.job import JobRequest, JobStatus
from voxnode.testing import FakeKnobs
from voxnode.testing.cluster_checks import (
    JA_EN,
    ZH_EN,
    jetstream,
    jobs_done,
    needs_nats_server,
    settled_jobs_done,
    site_settings,
    steady_jobs_done,
    text_job,
    wait_for_nodes,
)
from voxnode.testing.cluster_nodes import ClusterNodeProcess, FakeTranslator, run_cluster_node
from voxnode.testing.nats_runner import RunningNats, run_nats_server

pytestmark = [pytest.mark.anyio, pytest.mark.shares_processes, needs_nats_server]
SLOW_JA_MS = 2000
"""Twice ack_wait (1 s): only in-progress acks keep these jobs from being redelivered."""


@dataclass(slots=True)
class Site:
    nats: RunningNats
    nodes: dict[str, ClusterNodeProcess]

    @property
    def url(self) -> str:
        return self.nats.url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("site")
    slow_b = FakeTranslator(nmt=FakeKnobs(slow_ms=60))
    ja = FakeTranslator(languages=("ja", "en"), nmt=FakeKnobs(slow_ms=SLOW_JA_MS))
    with (
        run_nats_server(root / "nats") as nats,
        run_cluster_node(root / "a", nats.url, node_id="a") as a,
        run_cluster_node(root / "b", nats.url, node_id="b", services=slow_b) as b,
        run_cluster_node(root / "c", nats.url, node_id="c", services=ja) as c,
    ):
        anyio.run(wait_for_nodes, nats.url, {"a": ZH_EN, "b": ZH_EN, "c": JA_EN})
        yield Site(nats, {"a": a, "b": b, "c": c})


async def test_100_jobs_spread_over_the_nodes_each_done_exactly_once(site: Site) -> None:
    before = sum((await steady_jobs_done(site.url)).values())
    async with Dispatcher(site_settings(site.url)) as dispatcher:
        ids = [await dispatcher.submit(text_job(i, session=f"s{i % 10}")) for i in range(100)]
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(dispatcher.wait(job_id) for job_id in ids)), 60
        )
        stats = dispatcher.stats
    assert [o.job_id for o in outcomes] == ids
    assert all(o.kind is OutcomeKind.RESULT and o.attempts == 1 for o in outcomes)
    assert all(o.result is not None and o.result.status is JobStatus.OK for o in outcomes)
    assert outcomes[7].result is not None
    assert outcomes[7].result.text_translated == "en: sentence number 7 here"
    by_node = Counter(o.node_id for o in outcomes)
    assert set(by_node) == {"a", "b"} and min(by_node.values()) > 0, by_node
    assert (stats.submitted, stats.released, stats.doubled_outcomes, stats.late) == (100, 100, 0, 0)
    assert await settled_jobs_done(site.url, before + 100) == before + 100  # none ran twice


async def test_bad_input_is_refused_at_once_not_retried(site: Site) -> None:
    bad_audio = JobRequest(
        session_id="bad", src_lang="zh", tgt_lang="en", audio="not base64!", want_audio=False
    )
    async with Dispatcher(site_settings(site.url)) as dispatcher:
        outcome = await dispatcher.run(bad_audio, 20)
    assert (outcome.kind, outcome.attempts) == (OutcomeKind.REFUSED, 1)
    assert outcome.error is not None and outcome.error.code == "BAD_AUDIO"


async def test_a_doubled_submit_is_dropped_by_the_duplicate_window(site: Site) -> None:
    before = sum((await steady_jobs_done(site.url)).values())
    async with Dispatcher(site_settings(site.url), client_id="first") as first:
        outcome = await first.run(text_job(0, session="dup").model_copy(update={"job_id": "dup-1"}))
    assert outcome.kind is OutcomeKind.RESULT
    async with Dispatcher(site_settings(site.url), client_id="second") as second:
        await second.submit(text_job(0, session="dup").model_copy(update={"job_id": "dup-1"}))
        assert second.stats.duplicate_submits == 1
    assert await settled_jobs_done(site.url, before + 1) == before + 1


async def test_sessions_of_one_name_from_two_dispatchers_do_not_collide(site: Site) -> None:
    """Each dispatcher numbers its session from 0; the nodes keep them apart."""
    async with (
        Dispatcher(site_settings(site.url)) as one,
        Dispatcher(site_settings(site.url)) as two,
    ):
        ids = []
        for i in range(5):  # interleaved: both sessions are in flight together
            ids.append((await one.submit(text_job(i, session="shared")),
                        await two.submit(text_job(i, session="shared"))))  # fmt: skip
        firsts = await asyncio.gather(*(one.wait(a) for a, _ in ids))
        seconds = await asyncio.gather(*(two.wait(b) for _, b in ids))
    for outcomes in (firsts, seconds):
        assert [(o.kind, o.session_id, o.utterance_index) for o in outcomes] == [
            (OutcomeKind.RESULT, "shared", i) for i in range(5)
        ]
        assert all(o.result is not None and o.result.session_id == "shared" for o in outcomes)


async def test_a_node_without_the_pair_never_gets_it_and_long_jobs_stay_with_their_node(
    site: Site,
) -> None:
    deliveries = await ja_deliveries(site.url)
    async with Dispatcher(site_settings(site.url)) as dispatcher:
        ja = [await dispatcher.submit(text_job(i, session="ja", src="ja")) for i in range(2)]
        zh = [await dispatcher.submit(text_job(i, session="zh")) for i in range(20)]
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(dispatcher.wait(job_id) for job_id in ja + zh)), 60
        )
    ja_outcomes, zh_outcomes = outcomes[:2], outcomes[2:]
    assert {o.node_id for o in ja_outcomes} == {"c"}
    assert {o.node_id for o in zh_outcomes} <= {"a", "b"}
    assert all(o.kind is OutcomeKind.RESULT for o in outcomes)
    # 2 s jobs under a 1 s ack_wait: the in-progress acks kept them from a second delivery
    assert [o.attempts for o in ja_outcomes] == [1, 1]
    assert await ja_deliveries(site.url) == deliveries + 2


async def ja_deliveries(url: str) -> int:
    """Every delivery of the ja->en consumer, redeliveries included (its consumer sequence)."""
    async with jetstream(url) as js:
        info = await js.consumer_info(names.JOBS_STREAM, "pair-ja-en")
    return info.delivered.consumer_seq if info.delivered else 0


async def test_a_session_comes_back_in_utterance_order_across_nodes(site: Site) -> None:
    released: list[JobOutcome] = []
    async with Dispatcher(site_settings(site.url), on_release=released.append) as dispatcher:
        ids = [await dispatcher.submit(text_job(i, session="ordered")) for i in range(40)]
        await asyncio.wait_for(asyncio.gather(*(dispatcher.wait(job_id) for job_id in ids)), 60)
    assert [o.utterance_index for o in released] == list(range(40))
    assert [o.job_id for o in released] == ids
    assert {o.node_id for o in released} == {"a", "b"}
    finished = sorted(released, key=lambda o: o.finished_at)
    assert [o.utterance_index for o in finished] != list(range(40)), "never out of order"
    assert not any(o.late for o in released)


async def test_a_job_whose_outcome_exists_is_answered_from_it_not_run(site: Site) -> None:
    before = await steady_jobs_done(site.url)
    request = text_job(0, session="known").model_copy(
        update={"job_id": "known-1", "utterance_index": 0}
    )
    earlier = JobOutcome(
        job_id="known-1", client_id="probe", session_id="known", utterance_index=0,
        kind=OutcomeKind.RESULT, node_id="elsewhere", attempts=1,
    )  # fmt: skip
    async with jetstream(site.url) as js:
        layout_kv = await js.key_value(names.RESULTS_BUCKET)
        store = OutcomeStore(layout_kv, timeout_s=5)
        assert await store.settle(earlier) == earlier
        job = ClusterJob(job_id="known-1", client_id="probe", request=request)
        await js.publish("jobs.zh.en", job.model_dump_json().encode())
        deadline = time.monotonic() + 10
        while (await js.stream_info(names.JOBS_STREAM)).state.messages:
            assert time.monotonic() < deadline, "the job was never acked"
            await anyio.sleep(0.05)
        assert await store.get("probe", "known-1") == earlier
    await anyio.sleep(1.0)
    assert await jobs_done(site.url) == before


async def test_cancel_stops_a_running_job_and_is_its_outcome(site: Site) -> None:
    before = await steady_jobs_done(site.url)
    async with Dispatcher(site_settings(site.url)) as dispatcher:
        job_id = await dispatcher.submit(text_job(0, session="cancel", src="ja"))
        deadline = time.monotonic() + 10
        while not any(n.running for n in (await read_status(site_settings(site.url))).nodes):
            assert time.monotonic() < deadline
            await anyio.sleep(0.05)
        assert await dispatcher.cancel(job_id)
        outcome = await dispatcher.wait(job_id, 5)
        assert outcome.kind is OutcomeKind.CANCELLED and outcome.node_id is None
        done = await dispatcher.run(text_job(1, session="cancel"))
        assert not await dispatcher.cancel(done.job_id)  # it has its outcome: too late
    await anyio.sleep(SLOW_JA_MS / 1000 + 0.5)  # past when the cancelled job would have ended
    after = await jobs_done(site.url)
    assert after["c"] == before["c"]
    async with jetstream(site.url) as js:
        consumer = await js.consumer_info(names.JOBS_STREAM, "pair-ja-en")
    assert consumer.num_ack_pending == 0 and consumer.num_pending == 0


async def test_a_node_stops_pulling_a_pair_its_services_can_no_longer_serve(site: Site) -> None:
    a = site.nodes["a"].node
    async with httpx.AsyncClient(base_url=a.url, timeout=30, trust_env=False) as client:
        assert (await client.post("/v1/services/nmt-fake/stop")).status_code == 200
        try:
            await wait_for_nodes(site.url, {"a": set(), "b": ZH_EN, "c": JA_EN}, 10)
            async with Dispatcher(site_settings(site.url)) as dispatcher:
                ids = [await dispatcher.submit(text_job(i, session="no-a")) for i in range(20)]
                outcomes = await asyncio.wait_for(
                    asyncio.gather(*(dispatcher.wait(job_id) for job_id in ids)), 60
                )
            assert {o.node_id for o in outcomes} == {"b"}
        finally:
            assert (await client.post("/v1/services/nmt-fake/start")).status_code == 200
    await wait_for_nodes(site.url, {"a": ZH_EN, "b": ZH_EN, "c": JA_EN}, 10)
