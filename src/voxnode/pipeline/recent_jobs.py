"""The last finished jobs, newest first: a bounded ring the dashboard reads
(GET /v1/jobs/recent). Fed by the orchestrator's job listener; audio is not kept."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass

from voxnode.contracts.job import JobResult


@dataclass(frozen=True, slots=True)
class RecentJob:
    finished_at: float
    """Wall-clock time the result left the orchestrator."""
    result: JobResult
    """The result without its audio."""
    route: str | None = None
    """"cloud" when any stage went to a cloud backend, "local" when every routed stage ran
    here; None for a job that reached no routed stage."""


class RecentJobs:
    def __init__(self, size: int):
        self._jobs: collections.deque[RecentJob] = collections.deque(maxlen=size)

    def record(self, result: JobResult, *, at: float) -> RecentJob:
        kept = RecentJob(at, result.model_copy(update={"audio": None}, deep=True), _route(result))
        self._jobs.append(kept)
        return kept

    def latest(self, limit: int | None = None) -> list[RecentJob]:
        newest = list(reversed(self._jobs))
        return newest if limit is None else newest[:limit]

    def routes(self) -> dict[str, int]:
        """How many of the kept jobs ran on each route (empty while none reports one)."""
        return dict(collections.Counter(job.route for job in self._jobs if job.route))

    def __iter__(self) -> Iterator[RecentJob]:
        return iter(self._jobs)

    def __len__(self) -> int:
        return len(self._jobs)


def _route(result: JobResult) -> str | None:
    went = set(result.routes.values())
    if not went:
        return None
    return "cloud" if "cloud" in went else "local"
