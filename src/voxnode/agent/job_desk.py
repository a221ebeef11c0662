"""The scheduler's jobs on this node: take a job_assign, run it through the pipeline, put
its job_result in the outbox; cancel on job_cancel; drain and resume on node_control.

- A job_id running or finished here is refused with node_error DUPLICATE_JOB_ID (a
  job_result would race the real one); a cancelled job may be assigned again.
- A second job for a (session, utterance_index) gets job_result DUPLICATE_UTTERANCE_INDEX.
- Draining: a job_assign gets job_result NODE_DRAINING at once, so the scheduler can send it
  elsewhere; the jobs in flight finish.
- A cancelled job sends nothing: the scheduler asked for it and may have given it away.
- enable_streaming_asr: asr_partial (is_final false) from decodes of growing prefixes of the
  job's audio, one every partial_update_interval_ms of it (pipeline/prefix_partials.py; the
  last decode is the job's transcript), then the final asr_partial as soon as it is known.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable

from pydantic import BaseModel, ValidationError

from voxnode.agent import job_messages
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.job import JobRequest, JobResult
from voxnode.contracts.node_settings import AgentSettings
from voxnode.contracts.scheduler_messages import AsrPartial, JobAck, JobAssign, NodeError
from voxnode.contracts.speech import TranscribeRequest, TranscribeResponse
from voxnode.pipeline.job_orchestrator import JobOrchestrator
from voxnode.pipeline.job_stream import JobStream, usable_transcript
from voxnode.pipeline.local_agreement import AgreementView
from voxnode.pipeline.prefix_partials import prefix_partials
from voxnode.pipeline.service_replies import Reply

log = logging.getLogger(__name__)
Send = Callable[[BaseModel], None]
"""Puts a message in the outbox (never blocks, never fails)."""
PARTIAL_INTERVAL_MS = 1000
"""Between partial transcripts when the job names no partial_update_interval_ms."""


class JobDesk:
    def __init__(self, jobs: JobOrchestrator, settings: AgentSettings, send: Send):
        self._jobs = jobs
        self._settings = settings
        self._send = send
        self.node_id = ""
        self.draining = False
        self._running: dict[str, asyncio.Task[None]] = {}
        self._finished: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.on_change: Callable[[], None] = lambda: None
        """Called when draining flips or the set of running jobs empties (a heartbeat)."""

    @property
    def running(self) -> list[str]:
        return list(self._running)

    def assign(self, assign: JobAssign) -> None:
        if assign.job_id in self._running or assign.job_id in self._finished:
            where = "running" if assign.job_id in self._running else "finished"
            self._send(
                NodeError(
                    node_id=self.node_id, code="DUPLICATE_JOB_ID",
                    message=f"job {assign.job_id} is already {where} on this node",
                    details={"job_id": assign.job_id, "attempt_id": assign.attempt_id},
                )
            )  # fmt: skip
            return
        if self.draining:
            self._send(
                job_messages.failure_message(
                    assign, self.node_id, "NODE_DRAINING", "this node takes no new jobs"
                )
            )
            return
        self._send(
            JobAck(
                job_id=assign.job_id, attempt_id=assign.attempt_id, node_id=self.node_id,
                session_id=assign.session_id, trace_id=assign.trace_id,
            )
        )  # fmt: skip
        task = asyncio.create_task(self._run(assign), name=f"job-{assign.job_id}")
        self._running[assign.job_id] = task

    def cancel(self, job_id: str) -> bool:
        task = self._running.get(job_id)
        if task is None:
            return False
        task.cancel()
        return True

    def drain(self) -> None:
        self.draining = True
        self.on_change()

    def resume(self) -> None:
        self.draining = False
        self.on_change()

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, assign: JobAssign) -> None:
        try:
            message = await self._answer(assign)
        except asyncio.CancelledError:
            log.info("job %s cancelled", assign.job_id)
            raise
        else:
            self._remember(assign.job_id)
            self._send(message)
        finally:
            self._running.pop(assign.job_id, None)
            if not self._running:
                self.on_change()

    async def _answer(self, assign: JobAssign) -> BaseModel:
        node_id = self.node_id
        try:
            request = job_messages.job_request(assign, self._settings.tts_format)
        except (ValidationError, ValueError) as exc:
            return job_messages.failure_message(assign, node_id, "BAD_JOB", str(exc))

        async def partial(result: JobResult) -> None:
            self._send(
                AsrPartial(
                    job_id=assign.job_id, node_id=node_id, session_id=assign.session_id,
                    utterance_index=assign.utterance_index, text=result.text_asr,
                    is_final=True, trace_id=assign.trace_id,
                )
            )  # fmt: skip

        try:
            on_asr = partial if assign.enable_streaming_asr else None
            stream = await self._partials(assign, request) if on_asr else None
            result = await self._jobs.run(request, on_asr=on_asr, stream=stream)
        except VoxnodeError as exc:
            return job_messages.error_message(assign, node_id, exc)
        except Exception as exc:  # a bug must not leave the scheduler waiting
            log.exception("job %s failed", assign.job_id)
            return job_messages.failure_message(assign, node_id, "PROCESSING_ERROR", str(exc))
        return job_messages.result_message(assign, node_id, result)

    async def _partials(self, assign: JobAssign, request: JobRequest) -> JobStream:
        """Sends the partials; the job's stream hands it the decode of the whole audio."""

        async def tell(view: AgreementView) -> None:
            self._send(
                AsrPartial(
                    job_id=assign.job_id, node_id=self.node_id, session_id=assign.session_id,
                    utterance_index=assign.utterance_index,
                    text=view.committed + view.tentative, is_final=False,
                    trace_id=assign.trace_id,
                )
            )  # fmt: skip

        interval = assign.partial_update_interval_ms or PARTIAL_INTERVAL_MS
        whole = await prefix_partials(
            self._jobs.client, request, tell, interval_ms=interval,
            timeout_ms=self._jobs.settings.asr_timeout_ms,
        )  # fmt: skip

        async def nothing(_: BaseModel) -> None:
            return None

        async def early(asked: TranscribeRequest) -> Reply[TranscribeResponse] | None:
            return usable_transcript(whole, asked)

        return JobStream(nothing, early=early)

    def _remember(self, job_id: str) -> None:
        self._finished[job_id] = None
        while len(self._finished) > self._settings.finished_jobs_kept:
            self._finished.popitem(last=False)
