"""One job message on this node: answer it from the results bucket if it has an outcome,
else run it through the pipeline (in-progress acks while it runs), write the outcome, and
only then ack; a failed attempt is nak'ed for another try or buried on the last one
(`delivery_decision`). A job cancelled by its dispatcher stops and is acked (the cancel is
its outcome); one cut short by this node's shutdown is nak'ed so another node takes it now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg

from voxnode.cluster.dead_letters import DeadLetterDesk, read_job
from voxnode.cluster.delivery_decision import Verdict, classify, decide, retry_delay
from voxnode.cluster.outcome_store import OutcomeStore
from voxnode.contracts.cluster_messages import ClusterJob, DeadLetterCause, JobOutcome, OutcomeKind
from voxnode.contracts.errors import ErrorCategory, ErrorDetail, VoxnodeError
from voxnode.contracts.job import JobResult
from voxnode.contracts.node_settings import ClusterSettings
from voxnode.pipeline.job_orchestrator import JobOrchestrator

log = logging.getLogger(__name__)


class ClusterJobRunner:
    def __init__(
        self,
        jobs: JobOrchestrator,
        outcomes: OutcomeStore,
        dead_letters: DeadLetterDesk,
        settings: ClusterSettings,
        node_id: str,
    ):
        self._jobs = jobs
        self._outcomes = outcomes
        self._dead_letters = dead_letters
        self._settings = settings
        self._node_id = node_id
        self._tasks: dict[asyncio.Task[None], str] = {}
        self._by_job: dict[str, asyncio.Task[None]] = {}
        self._cancelled: set[str] = set()
        self.done = 0
        """Outcomes this node wrote."""

    @property
    def running(self) -> int:
        return len(self._tasks)

    def start(self, msg: Msg, max_deliver: int, release: Callable[[], None]) -> None:
        """Handle `msg` in a task; `release` frees its slot when the task ends."""
        job = read_job(msg.data)
        job_id = job.job_id if job else f"seq-{msg.metadata.sequence.stream}"
        task = asyncio.create_task(self._handle(msg, job, max_deliver), name=f"job-{job_id}")
        self._tasks[task] = job_id
        self._by_job[job_id] = task

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.pop(done, None)
            if self._by_job.get(job_id) is done:
                del self._by_job[job_id]
            self._cancelled.discard(job_id)
            release()

        task.add_done_callback(finished)

    def cancel(self, job_id: str) -> bool:
        task = self._by_job.get(job_id)
        if task is None:
            return False
        self._cancelled.add(job_id)
        task.cancel()
        return True

    async def close(self) -> None:
        """Cut every running job short: each is nak'ed for another node."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ----- one message

    async def _handle(self, msg: Msg, job: ClusterJob | None, max_deliver: int) -> None:
        if job is None:
            reason = ErrorDetail(
                code="UNREADABLE_JOB", category=ErrorCategory.BAD_INPUT,
                message="the message is no ClusterJob",
            )  # fmt: skip
            await self._dead_letters.bury(
                job=None, subject=msg.subject, stream_seq=msg.metadata.sequence.stream,
                cause=DeadLetterCause.UNREADABLE, reason=reason,
                attempts=msg.metadata.num_delivered,
            )  # fmt: skip
            await _quietly(msg.term())
            return
        alive = asyncio.create_task(self._keep_alive(msg))  # until acked, outcome included
        try:
            await self._answer(msg, job, max_deliver)
        except asyncio.CancelledError:
            if job.job_id in self._cancelled:
                await _quietly(msg.ack())  # the dispatcher's cancel is its outcome
            else:
                await _quietly(msg.nak())  # this node stops: another one takes it now
            raise
        finally:
            alive.cancel()

    async def _answer(self, msg: Msg, job: ClusterJob, max_deliver: int) -> None:
        delivered = msg.metadata.num_delivered
        if await self._outcomes.get(job.client_id, job.job_id) is not None:
            log.info("cluster: job %s has its outcome already; acked", job.job_id)
            await _quietly(msg.ack())
            return
        result, error, category = await self._attempt(job)
        attempt = classify(result.status if result else None, category)
        verdict = decide(attempt, delivered, max_deliver)
        if verdict is Verdict.RETRY:
            await _quietly(msg.nak(delay=retry_delay(delivered, self._settings.retry_delay_s)))
            return
        if verdict is Verdict.BURY:
            await self._dead_letters.bury(
                job=job, subject=msg.subject, stream_seq=msg.metadata.sequence.stream,
                cause=DeadLetterCause.ATTEMPTS_FAILED, reason=error or _failure_of(result),
                attempts=delivered, last_result=result,
            )  # fmt: skip
        else:
            kind = OutcomeKind.RESULT if verdict is Verdict.DELIVER else OutcomeKind.REFUSED
            await self._outcomes.settle(
                JobOutcome(
                    job_id=job.job_id, client_id=job.client_id, session_id=job.request.session_id,
                    utterance_index=job.request.utterance_index or 0, kind=kind, result=result,
                    error=error, node_id=self._node_id, attempts=delivered,
                )
            )  # fmt: skip
        self.done += 1
        await _quietly(msg.ack())  # only now: the outcome is in the bucket

    async def _attempt(
        self, job: ClusterJob
    ) -> tuple[JobResult | None, ErrorDetail | None, ErrorCategory | None]:
        """The pipeline keeps per-session state (order, context, dedup); a session here is
        one dispatcher's, so two dispatchers' sessions of one name never meet."""
        request = job.request
        scoped = request.model_copy(update={"session_id": f"{job.client_id}/{request.session_id}"})
        try:
            result = await self._jobs.run(scoped)
        except VoxnodeError as exc:
            return None, exc.body().error, exc.category
        except Exception as exc:  # a bug must not leave the job hanging until ack_wait
            log.exception("cluster: job %s failed", job.job_id)
            detail = ErrorDetail(
                code="PROCESSING_ERROR", category=ErrorCategory.PERMANENT, message=str(exc)
            )
            return None, detail, None
        return result.model_copy(update={"session_id": request.session_id}), None, None

    async def _keep_alive(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(self._settings.in_progress_s)
            await _quietly(msg.in_progress())


def _failure_of(result: JobResult | None) -> ErrorDetail:
    degraded = result.degraded[0] if result and result.degraded else None
    if degraded is None:
        return ErrorDetail(code="JOB_FAILED", category=ErrorCategory.TRANSIENT, message="no result")
    return ErrorDetail(
        code=degraded.code, category=ErrorCategory.TRANSIENT,
        message=f"{degraded.stage.value}: {degraded.message}",
    )  # fmt: skip


async def _quietly(ack: Awaitable[None]) -> None:
    """Acks are best effort: a lost one means a redelivery, which the outcome answers."""
    try:
        await ack
    except Exception as exc:  # the connection's state, an ack already sent, ...
        log.debug("cluster: ack not sent: %s: %s", type(exc).__name__, exc)
