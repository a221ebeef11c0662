"""The one polling helper: first truthy value, or an AssertionError that says what."""

from __future__ import annotations

import itertools

import pytest

from voxnode.testing import eventually, eventually_async


def test_returns_the_first_truthy_value() -> None:
    values = iter([None, 0, [], "", ["x"], ["later"]])
    assert eventually(lambda: next(values), interval_s=0) == ["x"]


def test_times_out_naming_what_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"0\.05 s waiting for the door \(last value: 0\)"):
        eventually(lambda: 0, timeout_s=0.05, interval_s=0.01, what="the door")


def test_what_may_be_computed_when_the_wait_ends() -> None:
    counter = itertools.count()
    seen: list[int] = []

    def check() -> bool:
        seen.append(next(counter))
        return False

    with pytest.raises(AssertionError, match=r"tried \d+ times"):
        eventually(check, timeout_s=0.05, interval_s=0.01, what=lambda: f"tried {len(seen)} times")
    assert len(seen) >= 2  # it tried again before giving up


def test_without_what_the_message_names_the_check() -> None:
    with pytest.raises(AssertionError, match="the_answer_is_never_ready"):
        eventually(the_answer_is_never_ready, timeout_s=0.01, interval_s=0.01)


def the_answer_is_never_ready() -> None:
    return None


def test_an_exception_in_the_check_ends_the_wait_at_once() -> None:
    calls = 0

    def exited() -> bool:
        nonlocal calls
        calls += 1
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="exited"):
        eventually(exited, timeout_s=10)
    assert calls == 1


@pytest.mark.anyio
async def test_the_async_twin_takes_plain_and_async_checks() -> None:
    values = iter([False, False, "ready"])
    assert await eventually_async(lambda: next(values), interval_s=0) == "ready"

    async def answer() -> int | None:
        return 42

    assert await eventually_async(answer) == 42
    with pytest.raises(AssertionError, match="the queue"):
        await eventually_async(lambda: None, timeout_s=0.02, interval_s=0.01, what="the queue")
