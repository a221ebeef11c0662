"""Per-session memory of the orchestrator and its job ledger.

- Sessions (bounded, idle ones expire): the next utterance index, the last source text
  (for overlap dedup and as translation context), a held fragment, and the utterances in
  flight, so that results leave in utterance order.
- The ledger (job dedup, lingua1 6.3 layer 3): a job_id seen within the TTL gets its first
  result, never a second run; a second job_id for a (session, utterance_index) already
  taken is refused, as the origin node does.
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass, field
from typing import Literal

from voxnode.contracts.errors import ConflictError
from voxnode.contracts.job import JobResult


@dataclass(slots=True)
class Session:
    next_index: int = 0
    last_text: str = ""
    last_translation: str = ""
    """The translation of last_text (shown to the translator with it as the turn before)."""
    route: Literal["local", "cloud", "auto"] | None = None
    """The way the session asked for last (its preference for the jobs after)."""
    held: str = ""
    held_quality: float | None = None
    inflight: dict[int, asyncio.Event] = field(default_factory=dict)
    touched: float = field(default_factory=time.monotonic)

    def reserve_index(self) -> int:
        """The next utterance index, taken now: no other job of the session gets it."""
        index = self.next_index
        self.next_index += 1
        return index

    async def wait_turn(self, index: int) -> None:
        """Return once every earlier utterance of this session in flight has finished."""
        for earlier in sorted(i for i in self.inflight if i < index):
            event = self.inflight.get(earlier)
            if event is not None:
                await event.wait()


class Sessions:
    def __init__(self, max_sessions: int, ttl_s: float):
        self._max, self._ttl = max_sessions, ttl_s
        self._sessions: collections.OrderedDict[str, Session] = collections.OrderedDict()

    def get(self, session_id: str) -> Session:
        now = time.monotonic()
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = Session()
        session.touched = now
        self._sessions.move_to_end(session_id)
        while len(self._sessions) > self._max or self._expired(now):
            oldest_id, oldest = next(iter(self._sessions.items()))
            if oldest.inflight or oldest_id == session_id:
                break
            self._sessions.popitem(last=False)
        return session

    def _expired(self, now: float) -> bool:
        oldest = next(iter(self._sessions.values()), None)
        return oldest is not None and now - oldest.touched > self._ttl


@dataclass(slots=True)
class _Entry:
    seen: float
    session_id: str
    utterance_index: int
    result: asyncio.Future[JobResult]


class JobLedger:
    def __init__(self, ttl_s: float):
        self._ttl = ttl_s
        self._jobs: dict[str, _Entry] = {}
        self._utterances: dict[tuple[str, int], str] = {}

    def earlier(self, job_id: str) -> asyncio.Future[JobResult] | None:
        self._expire()
        entry = self._jobs.get(job_id)
        return entry.result if entry else None

    def claim(self, job_id: str, session_id: str, index: int) -> asyncio.Future[JobResult]:
        self._expire()
        owner = self._utterances.get((session_id, index))
        if owner is not None and owner != job_id:
            raise ConflictError(
                f"utterance {index} of session '{session_id}' is already job '{owner}'",
                code="DUPLICATE_UTTERANCE",
            )
        future: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
        self._jobs[job_id] = _Entry(time.monotonic(), session_id, index, future)
        self._utterances[(session_id, index)] = job_id
        return future

    def release(self, job_id: str) -> None:
        """Forget a job that failed before it had a result, so a retry may run."""
        entry = self._jobs.pop(job_id, None)
        if entry is not None:
            self._utterances.pop((entry.session_id, entry.utterance_index), None)

    def _expire(self) -> None:
        now = time.monotonic()
        for job_id, entry in list(self._jobs.items()):
            if now - entry.seen > self._ttl and entry.result.done():
                self.release(job_id)
