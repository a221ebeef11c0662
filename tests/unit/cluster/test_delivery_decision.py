"""What a node does after an attempt: deliver, refuse, retry or bury."""

from __future__ import annotations

import pytest

from voxnode.cluster.delivery_decision import (
    Attempt,
    Verdict,
    classify,
    decide,
    retry_delay,
)
from voxnode.contracts.errors import ErrorCategory
from voxnode.contracts.job import JobStatus


@pytest.mark.parametrize(
    ("status", "error", "attempt"),
    [
        (JobStatus.OK, None, Attempt.DONE),
        (JobStatus.DEGRADED, None, Attempt.DONE),  # texts were made: a result, as on one node
        (JobStatus.REJECTED, None, Attempt.DONE),
        (JobStatus.MERGED, None, Attempt.DONE),
        (JobStatus.FAILED, None, Attempt.FAILED),  # no text: another node may hear it
        (None, ErrorCategory.BAD_INPUT, Attempt.BAD_INPUT),
        (None, ErrorCategory.TRANSIENT, Attempt.FAILED),
        (None, ErrorCategory.PERMANENT, Attempt.FAILED),  # permanent for this node's service
        (None, None, Attempt.FAILED),  # a bug
    ],
)
def test_classify(status: JobStatus | None, error: ErrorCategory | None, attempt: Attempt) -> None:
    assert classify(status, error) is attempt


@pytest.mark.parametrize(
    ("attempt", "delivered", "max_deliver", "verdict"),
    [
        (Attempt.DONE, 1, 3, Verdict.DELIVER),
        (Attempt.DONE, 3, 3, Verdict.DELIVER),
        (Attempt.BAD_INPUT, 1, 3, Verdict.REFUSE),  # never retried: no node can do it
        (Attempt.FAILED, 1, 3, Verdict.RETRY),
        (Attempt.FAILED, 2, 3, Verdict.RETRY),
        (Attempt.FAILED, 3, 3, Verdict.BURY),  # the last allowed delivery
        (Attempt.FAILED, 4, 3, Verdict.BURY),
        (Attempt.FAILED, 1, 1, Verdict.BURY),
    ],
)
def test_decide(attempt: Attempt, delivered: int, max_deliver: int, verdict: Verdict) -> None:
    assert decide(attempt, delivered, max_deliver) is verdict


@pytest.mark.parametrize(("delivered", "delay"), [(0, 0.5), (1, 0.5), (2, 1.0), (3, 1.5)])
def test_retry_delay_grows_with_the_attempts(delivered: int, delay: float) -> None:
    assert retry_delay(delivered, 0.5) == delay
