"""Faults with real processes: a node SIGKILLed mid-job, a nats-server restarted, a job that
fails every time, a node that dies on a job's last delivery."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import anyio
import pytest

pytest.importorskip("nats", reason="cluster mode needs the cluster extra (nats-py)")

from voxnode.cluster import Dispatcher
from voxnode.cluster import cluster_names as names
from voxnode.contracts.cluster_messages import DeadLetter, DeadLetterCause, JobOutcome, OutcomeKind
from voxnode.contracts.job import JobRequest
from voxnode.testing import FakeKnobs, eventually_async, free_port
from voxnode.testing.cluster_checks import (
    ZH_EN,
    jetstream,
    needs_nats_server,
    site_settings,
    text_job,
    wait_for_nodes,
)
from voxnode.testing.cluster_nodes import FakeTranslator, run_cluster_node
from voxnode.testing.nats_runner import run_nats_server

pytestmark = [pytest.mark.anyio, needs_nats_server]
SLOW = FakeTranslator(nmt=FakeKnobs(slow_ms=300))
PCM16 = "AQABAAEAAQABAAEA"  # a few samples: the fake ASR needs non-empty audio


async def dead_letters(url: str) -> list[DeadLetter]:
    async with jetstream(url) as js:
        state = (await js.stream_info(names.DEAD_LETTER_STREAM)).state
        if not state.messages:
            return []
        seqs = range(state.first_seq, state.last_seq + 1)
        raws = [await js.get_msg(names.DEAD_LETTER_STREAM, seq) for seq in seqs]
        return [DeadLetter.model_validate_json(raw.data or b"") for raw in raws]


async def jobs_left(url: str) -> int:
    async with jetstream(url) as js:
        return (await js.stream_info(names.JOBS_STREAM)).state.messages


async def test_a_node_killed_mid_job_every_job_completes_exactly_once(tmp_path: Path) -> None:
    env = {"VOXNODE_CLUSTER__MAX_JOBS": "2"}
    with (
        run_nats_server(tmp_path / "nats") as nats,
        run_cluster_node(tmp_path / "a", nats.url, node_id="a", services=SLOW, env=env) as a,
        run_cluster_node(tmp_path / "b", nats.url, node_id="b", services=SLOW, env=env),
    ):
        await wait_for_nodes(nats.url, {"a": ZH_EN, "b": ZH_EN})
        released: list[JobOutcome] = []
        async with Dispatcher(site_settings(nats.url), on_release=released.append) as dispatcher:
            ids = [await dispatcher.submit(text_job(i, session=f"s{i % 4}")) for i in range(40)]

            async def a_did_five() -> bool:
                return sum(1 for o in released if o.node_id == "a") >= 5

            await eventually_async(a_did_five, interval_s=0.02, what="node a's first outcomes")
            a.kill()  # with 2 jobs of 300 ms in hand: no ack, no nak, no goodbye
            killed_at = time.time()
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(dispatcher.wait(job_id) for job_id in ids)), 60
            )
            await anyio.sleep(1.5)  # an outcome written twice would have come by now
            stats = dispatcher.stats
        assert sorted(o.job_id for o in outcomes) == sorted(ids)
        assert all(o.kind is OutcomeKind.RESULT for o in outcomes)
        assert (stats.released, stats.doubled_outcomes) == (40, 0)
        assert not [o for o in outcomes if o.node_id == "a" and o.finished_at > killed_at]
        redelivered = [o for o in outcomes if o.attempts > 1]
        assert 1 <= len(redelivered) <= 2, Counter(o.attempts for o in outcomes)
        assert {o.node_id for o in redelivered} == {"b"}
        assert await jobs_left(nats.url) == 0


async def test_a_restarted_nats_server_is_survived_by_nodes_and_dispatcher(
    tmp_path: Path,
) -> None:
    with (
        run_nats_server(tmp_path / "nats") as nats,
        run_cluster_node(tmp_path / "a", nats.url, node_id="a"),
        run_cluster_node(tmp_path / "b", nats.url, node_id="b"),
    ):
        await wait_for_nodes(nats.url, {"a": ZH_EN, "b": ZH_EN})
        async with Dispatcher(site_settings(nats.url, submit_timeout_s=30)) as dispatcher:
            before = [await dispatcher.run(text_job(i, session="r"), 20) for i in range(10)]
            nats.stop()
            during = [
                asyncio.create_task(dispatcher.run(text_job(i, session="r"), 60))
                for i in range(10, 20)
            ]  # submitted while no server runs: they retry
            await anyio.sleep(1.0)
            nats.start()
            after_restart = await asyncio.wait_for(asyncio.gather(*during), 60)
            after = [await dispatcher.run(text_job(i, session="r"), 20) for i in range(20, 30)]
            stats = dispatcher.stats
        outcomes = before + after_restart + after
        assert [o.utterance_index for o in outcomes] == list(range(30))
        assert all(o.kind is OutcomeKind.RESULT for o in outcomes)
        assert (stats.submitted, stats.released, stats.doubled_outcomes) == (30, 30, 0)
        assert stats.watcher_resumes == 1  # the watcher came back by our resume
        assert {o.node_id for o in after_restart + after} == {"a", "b"}
        view = await wait_for_nodes(nats.url, {"a": ZH_EN, "b": ZH_EN})  # presence puts again
        assert all(node.at > time.time() - 3 for node in view.nodes)


async def test_a_job_that_fails_every_time_lands_in_the_dead_letter_subject(
    tmp_path: Path,
) -> None:
    broken_asr = FakeTranslator(asr=FakeKnobs(fail_status=503))
    with (
        run_nats_server(tmp_path / "nats") as nats,
        run_cluster_node(tmp_path / "a", nats.url, node_id="a", services=broken_asr),
    ):
        await wait_for_nodes(nats.url, {"a": ZH_EN})
        async with Dispatcher(site_settings(nats.url)) as dispatcher:
            audio = JobRequest(
                job_id="doomed", session_id="d", src_lang="zh", tgt_lang="en", audio=PCM16,
                audio_format="pcm16", want_audio=False,
            )  # fmt: skip
            outcome = await dispatcher.run(audio, 30)
            text = await dispatcher.run(text_job(1, session="d"), 30)  # the gap does not hold it
        assert outcome.kind is OutcomeKind.DEAD_LETTER and outcome.attempts == 3
        assert outcome.error is not None and outcome.error.code
        assert outcome.result is not None and outcome.result.status == "failed"
        assert text.kind is OutcomeKind.RESULT
        letters = await dead_letters(nats.url)
        assert [(d.job_id, d.cause, d.attempts, d.node_id) for d in letters] == [
            ("doomed", DeadLetterCause.ATTEMPTS_FAILED, 3, "a")
        ]
        assert letters[0].subject == "jobs.zh.en" and letters[0].reason == outcome.error
        assert await jobs_left(nats.url) == 0


async def test_a_node_dying_on_the_last_delivery_is_dead_lettered_from_the_advisory(
    tmp_path: Path,
) -> None:
    # one delivery only; ack_wait 3 s, so a loaded machine's late in-progress ack cannot
    # end the delivery before the kill does
    env = {"VOXNODE_CLUSTER__MAX_DELIVER": "1", "VOXNODE_CLUSTER__ACK_WAIT_S": "3"}
    slow = FakeTranslator(nmt=FakeKnobs(slow_ms=8000))
    with run_nats_server(tmp_path / "nats") as nats:
        async with Dispatcher(site_settings(nats.url)) as dispatcher:
            node_a = run_cluster_node(tmp_path / "a", nats.url, node_id="a", services=slow, env=env)
            with node_a as a:
                await wait_for_nodes(nats.url, {"a": ZH_EN})
                job_id = await dispatcher.submit(text_job(0, session="last"))
                async with jetstream(nats.url) as js:

                    async def running() -> int:
                        info = await js.consumer_info(names.JOBS_STREAM, "pair-zh-en")
                        return info.num_ack_pending or 0

                    await eventually_async(running, interval_s=0.02, what="the job on node a")
                a.kill()
            with run_cluster_node(tmp_path / "b", nats.url, node_id="b", env=env):
                outcome = await dispatcher.wait(job_id, 30)
        assert (outcome.kind, outcome.node_id) == (OutcomeKind.DEAD_LETTER, "b"), outcome
        assert outcome.error is not None and outcome.error.code == "MAX_DELIVERIES"
        letters = await dead_letters(nats.url)
        assert [(d.job_id, d.cause, d.attempts) for d in letters] == [
            (job_id, DeadLetterCause.MAX_DELIVERIES, 1)
        ]
        assert await jobs_left(nats.url) == 0  # the message the stream kept is gone


async def test_a_node_stopping_cleanly_hands_its_running_job_on_at_once(tmp_path: Path) -> None:
    """SIGTERM: the node naks what it runs, so the other node takes it before ack_wait."""
    env = {"VOXNODE_CLUSTER__ACK_WAIT_S": "20", "VOXNODE_CLUSTER__IN_PROGRESS_S": "0.3"}
    slow = FakeTranslator(nmt=FakeKnobs(slow_ms=15000))  # on a: still running when a stops
    with run_nats_server(tmp_path / "nats") as nats:
        async with Dispatcher(site_settings(nats.url)) as dispatcher:
            node_a = run_cluster_node(tmp_path / "a", nats.url, node_id="a", services=slow, env=env)
            with node_a as a:
                await wait_for_nodes(nats.url, {"a": ZH_EN})
                job_id = await dispatcher.submit(text_job(0, session="handover"))
                async with jetstream(nats.url) as js:

                    async def running() -> int:
                        info = await js.consumer_info(names.JOBS_STREAM, "pair-zh-en")
                        return info.num_ack_pending or 0

                    await eventually_async(running, interval_s=0.02, what="the job on node a")
                with run_cluster_node(tmp_path / "b", nats.url, node_id="b", env=env):
                    await wait_for_nodes(nats.url, {"a": ZH_EN, "b": ZH_EN})
                    stopped = time.monotonic()
                    assert a.node.stop() == 0
                    outcome = await dispatcher.wait(job_id, 15)
                    took = time.monotonic() - stopped
        assert (outcome.kind, outcome.node_id, outcome.attempts) == (OutcomeKind.RESULT, "b", 2)
        assert took < 10, took  # well under the 20 s ack_wait


async def test_a_node_started_before_its_nats_server_joins_when_it_comes(tmp_path: Path) -> None:
    port = free_port()
    url = f"nats://127.0.0.1:{port}"
    with run_cluster_node(tmp_path / "a", url, node_id="a"):
        await anyio.sleep(1.0)  # up, and failing to connect
        with run_nats_server(tmp_path / "nats", port=port) as nats:
            await wait_for_nodes(nats.url, {"a": ZH_EN})
            async with Dispatcher(site_settings(nats.url)) as dispatcher:
                outcome = await dispatcher.run(text_job(0, session="late-server"), 20)
        assert (outcome.kind, outcome.node_id) == (OutcomeKind.RESULT, "a")
