"""The one way tests wait for something: poll a check until it holds, or fail saying what.

`eventually(check)` calls `check()` until it returns a truthy value and returns that value;
past `timeout_s` it raises AssertionError naming `what` and the last value seen. An
exception raised by `check` is not retried: it ends the wait at once (a check that knows
the condition can no longer come true, such as "the process exited", raises).
`eventually_async` is its twin for event loops: it awaits asyncio.sleep between tries and
takes a plain or an async check.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

T = TypeVar("T")
What = str | Callable[[], str]
"""Names the awaited condition in the timeout's message; a callable is called then, so the
message can show the state the wait ended in."""


def eventually(
    check: Callable[[], T | None],
    *,
    timeout_s: float = 20.0,
    interval_s: float = 0.05,
    what: What = "",
) -> T:
    """`check()`'s first truthy value; AssertionError after `timeout_s` without one."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(_timed_out(check, timeout_s, what, value))
        time.sleep(interval_s)


async def eventually_async(
    check: Callable[[], T | Awaitable[T | None] | None],
    *,
    timeout_s: float = 20.0,
    interval_s: float = 0.05,
    what: What = "",
) -> T:
    """`eventually` for a running event loop: other tasks run between the tries."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return cast(T, value)
        if time.monotonic() >= deadline:
            raise AssertionError(_timed_out(check, timeout_s, what, value))
        await asyncio.sleep(interval_s)


def _timed_out(check: Callable[[], object], timeout_s: float, what: What, last: object) -> str:
    named = what() if callable(what) else what
    return (
        f"timed out after {timeout_s:g} s waiting for {named or _name(check)}"
        f" (last value: {last!r})"
    )


def _name(check: Callable[[], object]) -> str:
    name = getattr(check, "__qualname__", None) or repr(check)
    if name.endswith("<lambda>"):
        try:
            return f"lambda: {inspect.getsource(check).strip()}"
        except (OSError, TypeError):
            return name
    return name
