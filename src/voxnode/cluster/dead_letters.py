"""The dead-letter path: a job that cannot be answered goes to `deadletter.<src>.<tgt>` with
the reason, gets a dead-letter outcome (so its dispatcher hears of it and its session's
order moves on), and leaves the jobs stream.

Two ways in: a node whose last allowed attempt failed buries the job itself; a job whose
attempts ended with no answer at all (its node died, or sent no in-progress ack, on the
last delivery) stays in a work-queue stream, and JetStream says so only with the
MAX_DELIVERIES advisory, which one node of a queue group handles: it reads the message by
its stream sequence, buries it and deletes it. The outcome is written first and the first
outcome wins, so a job that did get a result is never buried.
"""

from __future__ import annotations

import contextlib
import json
import logging

import nats.js.errors
from nats.aio.msg import Msg
from pydantic import ValidationError

from voxnode.cluster import cluster_names as names
from voxnode.cluster.jetstream_layout import ClusterLayout
from voxnode.cluster.nats_connection import retrying
from voxnode.cluster.outcome_store import OutcomeStore
from voxnode.contracts.cluster_messages import (
    ClusterJob,
    DeadLetter,
    DeadLetterCause,
    JobOutcome,
    OutcomeKind,
)
from voxnode.contracts.errors import ErrorCategory, ErrorDetail
from voxnode.contracts.job import JobResult

log = logging.getLogger(__name__)


def read_job(data: bytes) -> ClusterJob | None:
    try:
        return ClusterJob.model_validate_json(data)
    except ValidationError:
        return None


class DeadLetterDesk:
    def __init__(self, layout: ClusterLayout, outcomes: OutcomeStore, node_id: str):
        self._js = layout.js
        self._outcomes = outcomes
        self._node_id = node_id

    async def bury(
        self,
        *,
        job: ClusterJob | None,
        subject: str,
        stream_seq: int,
        cause: DeadLetterCause,
        reason: ErrorDetail,
        attempts: int,
        last_result: JobResult | None = None,
    ) -> bool:
        """False when the job already had an outcome (then nothing is buried)."""
        if job is not None:
            request = job.request
            outcome = JobOutcome(
                job_id=job.job_id, client_id=job.client_id, session_id=request.session_id,
                utterance_index=request.utterance_index or 0, kind=OutcomeKind.DEAD_LETTER,
                result=last_result, error=reason, node_id=self._node_id, attempts=attempts,
            )  # fmt: skip
            if await self._outcomes.settle(outcome) != outcome:
                return False
        letter = DeadLetter(
            job_id=job.job_id if job else f"seq-{stream_seq}",
            client_id=job.client_id if job else None, subject=subject, cause=cause,
            reason=reason, attempts=attempts, node_id=self._node_id, job=job,
            last_result=last_result,
        )  # fmt: skip
        pair = names.pair_of_subject(subject)
        await retrying(
            lambda: self._js.publish(
                names.dead_letter_subject(pair), letter.model_dump_json().encode(),
                headers={"Nats-Msg-Id": f"dl-{letter.job_id}"},
            ),
            timeout_s=None, what=f"dead-letter {letter.job_id}",
        )  # fmt: skip
        log.warning("cluster: job %s dead-lettered: %s", letter.job_id, reason.message)
        return True

    async def on_max_deliveries(self, msg: Msg) -> None:
        """A MAX_DELIVERIES advisory: {stream, consumer, stream_seq, deliveries}."""
        try:
            advisory = json.loads(msg.data)
            seq, deliveries = int(advisory["stream_seq"]), int(advisory["deliveries"])
        except (ValueError, KeyError, TypeError):
            log.warning("cluster: unreadable MAX_DELIVERIES advisory %r", msg.data[:200])
            return
        try:
            raw = await self._js.get_msg(names.JOBS_STREAM, seq)
        except nats.js.errors.NotFoundError:
            return  # acked or removed meanwhile
        job = read_job(raw.data or b"")
        reason = ErrorDetail(
            code="MAX_DELIVERIES", category=ErrorCategory.TRANSIENT,
            message=f"{deliveries} deliveries without an answer (a node died mid-job or sent "
            "no in-progress ack within ack_wait)",
        )  # fmt: skip
        await self.bury(
            job=job, subject=raw.subject or "", stream_seq=seq,
            cause=DeadLetterCause.MAX_DELIVERIES if job else DeadLetterCause.UNREADABLE,
            reason=reason, attempts=deliveries,
        )  # fmt: skip
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await self._js.delete_msg(names.JOBS_STREAM, seq)
