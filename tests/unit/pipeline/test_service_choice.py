"""Which service the client asks next: every rule as one row of a table."""

from __future__ import annotations

import pytest

from voxnode.contracts.service_status import ServiceState
from voxnode.pipeline.service_choice import Candidate, Choice, choose

READY, STARTING, STOPPED, FAILED = (
    ServiceState.READY, ServiceState.STARTING, ServiceState.STOPPED, ServiceState.FAILED,
)  # fmt: skip


def c(service_id: str, state: ServiceState = READY, **fields: object) -> Candidate:
    return Candidate(service_id, state, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ([], Choice(None)),
        ([c("a")], Choice("a")),
        # primary before fallback, then least loaded, then fastest
        ([c("espeak", fallback=True), c("hibari")], Choice("hibari")),
        ([c("a", inflight=2), c("b", inflight=0)], Choice("b")),
        ([c("a", latency_ms=90.0), c("b", latency_ms=30.0)], Choice("b")),
        ([c("a", inflight=0, fallback=True), c("b", inflight=5)], Choice("b")),
        # warm before cooling; a cooling one still beats nothing ready
        ([c("a", cooling=True), c("b", inflight=3)], Choice("b")),
        ([c("a", cooling=True), c("b", STOPPED)], Choice("a")),
        # a service this call tried is not chosen again while another is ready
        ([c("a", tried=True), c("b", latency_ms=500.0)], Choice("b")),
        # none ready: starting, then stopped (on demand), then restarting, then retried
        ([c("s", STOPPED), c("t", STARTING)], Choice(None, ("t", "s"))),
        (
            [c("f", FAILED, restarting=True), c("s", STOPPED)],
            Choice(None, ("s", "f")),
        ),
        ([c("f", FAILED)], Choice(None)),
        ([c("a", STARTING, tried=True)], Choice(None, ("a",), pause_first=True)),
        ([c("a", FAILED, tried=True, restarting=True)], Choice(None, ("a",), pause_first=True)),
        ([c("a", FAILED, tried=True)], Choice(None)),
        (
            [c("a", STARTING, tried=True), c("b", STOPPED)],
            Choice(None, ("b", "a"), pause_first=False),
        ),
        # among stopped ones, primary first
        ([c("x", STOPPED, fallback=True), c("y", STOPPED)], Choice(None, ("y", "x"))),
    ],
)
def test_choose(candidates: list[Candidate], expected: Choice) -> None:
    assert choose(candidates) == expected
