"""Cluster mode's wire models: what travels through NATS JetStream between dispatchers and
nodes (the design is in `voxnode/cluster/`; the README's "Cluster mode" section).

- `ClusterJob`: a message on `jobs.<src>.<tgt>` (its Nats-Msg-Id is the job_id).
- `JobOutcome`: the value under `<client_id>.<job_id>` in the results bucket; the first one
  written wins (a result, a refusal, a dead letter or a cancel), so every job has one.
- `DeadLetter`: a message on `deadletter.<src>.<tgt>`, with the reason.
- `NodePresence`: the value under the node_id in the presence bucket (a TTL: heartbeat puts).
- `CancelNotice`: core NATS on `voxnode.cancel`, so the node running a cancelled job stops it.
"""

from __future__ import annotations

import time
from enum import StrEnum

from pydantic import BaseModel, Field

from voxnode.contracts.errors import ErrorDetail
from voxnode.contracts.job import JobRequest, JobResult
from voxnode.contracts.scheduler_messages import (
    CapabilityByType,
    LanguageCapabilities,
    LanguagePair,
)

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
"""Job and client ids: one NATS subject token and one key part (no dots, no wildcards)."""


class ClusterJob(BaseModel):
    job_id: str = Field(pattern=TOKEN_PATTERN)
    client_id: str = Field(pattern=TOKEN_PATTERN)
    """The dispatcher that waits for the outcome (its results key prefix)."""
    request: JobRequest
    """With job_id and utterance_index set by the dispatcher."""
    submitted_at: float = Field(default_factory=time.time)


class OutcomeKind(StrEnum):
    RESULT = "result"
    """The job ran: `result` holds its JobResult (ok, degraded, rejected or merged)."""
    REFUSED = "refused"
    """The job itself is wrong (bad input): no node could do it, so none tries again."""
    DEAD_LETTER = "dead_letter"
    """`max_deliver` attempts without a result; `error` holds the last reason."""
    CANCELLED = "cancelled"
    """The dispatcher cancelled it before any result."""


class JobOutcome(BaseModel):
    job_id: str
    client_id: str
    session_id: str
    utterance_index: int
    kind: OutcomeKind
    result: JobResult | None = None
    error: ErrorDetail | None = None
    node_id: str | None = None
    """The node that wrote it (None: the dispatcher, for a cancel)."""
    attempts: int = Field(0, ge=0)
    """Deliveries of the job message when this was written (1: the first try)."""
    finished_at: float = Field(default_factory=time.time)
    late: bool = False
    """Set by the dispatcher, never written by a node: released after a later utterance of
    its session because it was missing past `cluster.order_timeout_s`."""


class DeadLetterCause(StrEnum):
    ATTEMPTS_FAILED = "attempts_failed"
    """Every attempt ran and failed (the reason is the last failure)."""
    MAX_DELIVERIES = "max_deliveries"
    """JetStream's MAX_DELIVERIES advisory: attempts ended with no answer (a node died or
    sent no in-progress ack within ack_wait)."""
    UNREADABLE = "unreadable"
    """The message is no ClusterJob."""


class DeadLetter(BaseModel):
    job_id: str
    client_id: str | None
    subject: str
    """Where the job was queued."""
    cause: DeadLetterCause
    reason: ErrorDetail
    attempts: int
    node_id: str
    """The node that buried it."""
    job: ClusterJob | None = None
    """The job as queued (None when unreadable)."""
    last_result: JobResult | None = None
    """The last attempt's result, when it made one (a FAILED one)."""
    at: float = Field(default_factory=time.time)


class NodePresence(BaseModel):
    node_id: str
    hostname: str
    pid: int
    version: str
    pairs: list[LanguagePair]
    """The pairs it pulls jobs for (from its ready services)."""
    language_capabilities: LanguageCapabilities
    """As in the scheduler heartbeat: what its ready services hear, carry and speak."""
    capability_by_type: list[CapabilityByType] = []
    running: int = 0
    max_jobs: int = 1
    jobs_done: int = 0
    """Outcomes this node wrote since it started."""
    started_at: float
    at: float = Field(default_factory=time.time)


class CancelNotice(BaseModel):
    job_id: str
    client_id: str
