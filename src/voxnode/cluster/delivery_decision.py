"""What a node does with a job message after an attempt: pure functions, table-tested.

- A usable result (ok, degraded, rejected, merged) is written and acked.
- Bad input (the job itself is wrong) is written as refused and acked: no node could do it.
- Any other failure (no text out of ASR, a transient or internal error) is offered again
  (nak with a delay, so another node may take it) until the last allowed delivery, where it
  is buried: a dead letter with the reason, and the message is acked out of the stream.
"""

from __future__ import annotations

from enum import StrEnum

from voxnode.contracts.errors import ErrorCategory
from voxnode.contracts.job import JobStatus


class Attempt(StrEnum):
    DONE = "done"
    BAD_INPUT = "bad_input"
    FAILED = "failed"


class Verdict(StrEnum):
    DELIVER = "deliver"
    """Write the result, ack."""
    REFUSE = "refuse"
    """Write the refusal, ack."""
    RETRY = "retry"
    """Nak with a delay: another delivery, maybe on another node."""
    BURY = "bury"
    """Dead-letter it, write the dead-letter outcome, ack."""


def classify(status: JobStatus | None, error: ErrorCategory | None) -> Attempt:
    """status: the JobResult's (None when the run raised); error: the raised error's
    category (None for an exception that is no VoxnodeError)."""
    if status is not None:
        return Attempt.FAILED if status is JobStatus.FAILED else Attempt.DONE
    return Attempt.BAD_INPUT if error is ErrorCategory.BAD_INPUT else Attempt.FAILED


def decide(attempt: Attempt, delivered: int, max_deliver: int) -> Verdict:
    if attempt is Attempt.DONE:
        return Verdict.DELIVER
    if attempt is Attempt.BAD_INPUT:
        return Verdict.REFUSE
    return Verdict.RETRY if delivered < max_deliver else Verdict.BURY


def retry_delay(delivered: int, base_s: float) -> float:
    """Linear back-off: the first retry after base_s, the next after twice that, ..."""
    return base_s * max(1, delivered)
