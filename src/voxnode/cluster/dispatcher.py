"""`voxnode.cluster.Dispatcher`: the client side of cluster mode. Submit jobs, await their
outcomes, cancel them.

    async with Dispatcher(ClusterSettings(nats_url="nats://127.0.0.1:4222")) as dispatcher:
        job_id = await dispatcher.submit(JobRequest(src_lang="zh", tgt_lang="en", text="..."))
        outcome = await dispatcher.wait(job_id)  # result, refused, dead_letter or cancelled

- A job is published on `jobs.<src>.<tgt>` with its job_id as Nats-Msg-Id (a doubled submit
  within the duplicate window is dropped by JetStream), retried through an outage of the
  nats-server for up to `submit_timeout_s`.
- Outcomes come from the results bucket (`<client_id>.<job_id>`, see ResultsWatcher) and are
  released per session in utterance_index order (SessionOrder): `wait` returns, and
  `on_release` is called, in that order.
- `cancel` writes a cancelled outcome unless the job has one (then it is too late: False),
  takes the job out of the queue and tells the node running it to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from voxnode.cluster import cluster_names as names
from voxnode.cluster.jetstream_layout import open_layout
from voxnode.cluster.nats_connection import (
    TRANSIENT_NATS_ERRORS,
    ClusterUnavailableError,
    connect,
    retrying,
)
from voxnode.cluster.outcome_store import OutcomeStore
from voxnode.cluster.results_watcher import ResultsWatcher
from voxnode.cluster.session_order import SessionOrder
from voxnode.contracts.cluster_messages import CancelNotice, ClusterJob, JobOutcome, OutcomeKind
from voxnode.contracts.errors import NotFoundError
from voxnode.contracts.job import JobRequest
from voxnode.contracts.node_settings import ClusterSettings

OnRelease = Callable[[JobOutcome], None]


@dataclass(slots=True)
class DispatchStats:
    submitted: int = 0
    duplicate_submits: int = 0
    """Submits JetStream dropped as doubles (same job_id within the duplicate window)."""
    released: int = 0
    late: int = 0
    doubled_outcomes: int = 0
    """A second outcome seen for one job: never expected (the first written wins)."""
    watcher_resumes: int = 0
    """Times the results watcher subscribed again after a reconnection."""


@dataclass(slots=True)
class _Job:
    job: ClusterJob
    future: asyncio.Future[JobOutcome]
    stream_seq: int | None = None
    outcomes_seen: int = 0


@dataclass(slots=True)
class _Links:
    nc: Client
    js: JetStreamContext
    outcomes: OutcomeStore
    watcher: ResultsWatcher
    ticker: asyncio.Task[None]
    extra: list[asyncio.Task[None]] = field(default_factory=list)


class Dispatcher:
    def __init__(
        self,
        settings: ClusterSettings,
        *,
        client_id: str | None = None,
        on_release: OnRelease | None = None,
    ):
        if not settings.nats_url:
            raise ClusterUnavailableError("no nats_url given", code="NO_NATS_URL")
        self._settings = settings
        self.client_id = names.check_token(client_id or uuid.uuid4().hex, "client_id")
        self._on_release = on_release
        self._jobs: dict[str, _Job] = {}
        self._sessions: dict[str, SessionOrder[JobOutcome]] = {}
        self._links: _Links | None = None
        self.stats = DispatchStats()

    # ----- life

    async def open(self) -> Dispatcher:
        url = self._settings.nats_url or ""
        nc = await connect(
            url, name=f"voxnode-dispatcher-{self.client_id}",
            reconnect_wait_s=self._settings.reconnect_wait_s, on_reconnect=self._on_reconnect,
        )  # fmt: skip
        try:
            js = nc.jetstream()
            layout = await retrying(
                lambda: open_layout(js, self._settings),
                timeout_s=self._settings.submit_timeout_s, what="create streams",
            )  # fmt: skip
            watcher = ResultsWatcher(js, self.client_id, self._on_outcome)
            await watcher.start()
        except BaseException:
            await nc.close()
            raise
        ticker = asyncio.create_task(self._tick(), name="dispatcher-order")
        outcomes = OutcomeStore(layout.results, timeout_s=self._settings.submit_timeout_s)
        self._links = _Links(nc, js, outcomes, watcher, ticker)
        return self

    async def close(self) -> None:
        links, self._links = self._links, None
        if links is None:
            return
        for task in (links.ticker, *links.extra):
            task.cancel()
        await asyncio.gather(links.ticker, *links.extra, return_exceptions=True)
        await links.watcher.stop()
        await links.nc.close()
        for job in self._jobs.values():
            job.future.cancel()

    async def __aenter__(self) -> Dispatcher:
        return await self.open()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ----- jobs

    async def submit(self, request: JobRequest) -> str:
        links = self._require()
        job_id = names.check_token(request.job_id or uuid.uuid4().hex, "job_id")
        if job_id in self._jobs:
            return job_id
        pair = names.pair_of(request.src_lang, request.tgt_lang)
        session = self._sessions.get(request.session_id)
        if session is None:
            session = SessionOrder(self._settings.order_timeout_s)
            self._sessions[request.session_id] = session
        index = session.next_index if request.utterance_index is None else request.utterance_index
        request = request.model_copy(update={"job_id": job_id, "utterance_index": index})
        job = ClusterJob(job_id=job_id, client_id=self.client_id, request=request)
        entry = self._jobs[job_id] = _Job(job, asyncio.get_running_loop().create_future())
        session.expect(index)
        data = job.model_dump_json().encode()
        try:
            ack = await retrying(
                lambda: links.js.publish(
                    names.job_subject(pair), data, headers={"Nats-Msg-Id": job_id}
                ),
                timeout_s=self._settings.submit_timeout_s, what=f"submit {job_id}",
            )  # fmt: skip
        except BaseException:
            session.forget(index)
            del self._jobs[job_id]
            raise
        entry.stream_seq = ack.seq
        self.stats.submitted += 1
        if ack.duplicate:
            self.stats.duplicate_submits += 1
        return job_id

    async def wait(self, job_id: str, timeout_s: float | None = None) -> JobOutcome:
        """The job's outcome, once it is released in its session's order."""
        entry = self._entry(job_id)
        return await asyncio.wait_for(asyncio.shield(entry.future), timeout_s)

    async def run(self, request: JobRequest, timeout_s: float | None = None) -> JobOutcome:
        return await self.wait(await self.submit(request), timeout_s)

    async def cancel(self, job_id: str) -> bool:
        """True: the job is cancelled (its outcome says so); False: it had an outcome."""
        links, entry = self._require(), self._entry(job_id)
        request = entry.job.request
        cancel = JobOutcome(
            job_id=job_id, client_id=self.client_id, session_id=request.session_id,
            utterance_index=request.utterance_index or 0, kind=OutcomeKind.CANCELLED,
        )  # fmt: skip
        if await links.outcomes.settle(cancel) != cancel:
            return False
        notice = CancelNotice(job_id=job_id, client_id=self.client_id)
        with contextlib.suppress(Exception):
            await links.nc.publish(names.CANCEL_SUBJECT, notice.model_dump_json().encode())
        if entry.stream_seq is not None:
            with contextlib.suppress(nats.errors.Error, *TRANSIENT_NATS_ERRORS):
                await links.js.delete_msg(names.JOBS_STREAM, entry.stream_seq)
        return True

    # ----- outcomes, in order

    def _on_outcome(self, outcome: JobOutcome) -> None:
        entry = self._jobs.get(outcome.job_id)
        if entry is None:
            return  # a job of an earlier dispatcher with this client_id
        entry.outcomes_seen += 1
        if entry.outcomes_seen > 1:
            self.stats.doubled_outcomes += 1
            return
        session = self._sessions[entry.job.request.session_id]
        index = entry.job.request.utterance_index or 0
        self._release(session.arrive(index, outcome, time.monotonic()))

    def _release(self, released: list[tuple[JobOutcome, bool]]) -> None:
        for outcome, late in released:
            if late:
                outcome = outcome.model_copy(update={"late": True})
                self.stats.late += 1
            self.stats.released += 1
            future = self._jobs[outcome.job_id].future
            if not future.done():
                future.set_result(outcome)
            if self._on_release is not None:
                self._on_release(outcome)

    async def _tick(self) -> None:
        period = min(0.25, self._settings.order_timeout_s / 4)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for session in self._sessions.values():
                if session.waiting:
                    self._release(session.due(now))

    async def _on_reconnect(self) -> None:
        links = self._links
        if links is None:
            return

        async def again() -> None:
            await retrying(
                lambda: open_layout(links.js, self._settings), timeout_s=None, what="layout"
            )
            await links.watcher.resume()
            self.stats.watcher_resumes += 1

        links.extra = [t for t in links.extra if not t.done()]
        links.extra.append(asyncio.create_task(again(), name="dispatcher-resume"))

    def _require(self) -> _Links:
        if self._links is None:
            raise ClusterUnavailableError("the dispatcher is not open", code="NOT_OPEN")
        return self._links

    def _entry(self, job_id: str) -> _Job:
        entry = self._jobs.get(job_id)
        if entry is None:
            raise NotFoundError(f"job {job_id} was not submitted here", code="UNKNOWN_JOB")
        return entry
