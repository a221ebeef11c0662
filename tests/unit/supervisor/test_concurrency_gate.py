"""max_concurrency places, a bounded queue behind them, BusyError beyond."""

from __future__ import annotations

import asyncio

import pytest

from voxnode.contracts.errors import BusyError
from voxnode.supervisor.concurrency_gate import ConcurrencyGate


@pytest.mark.anyio
async def test_one_place_one_waiting_and_the_next_is_refused() -> None:
    gate = ConcurrencyGate(limit=1, queue=1)
    order: list[str] = []
    release = asyncio.Event()

    async def request(name: str) -> None:
        async with gate.admit("svc"):
            order.append(f"{name} in")
            await release.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(request("a"))
    await asyncio.sleep(0)
    second = asyncio.create_task(request("b"))
    await asyncio.sleep(0)
    assert order == ["a in"] and gate.waiting == 1
    with pytest.raises(BusyError) as caught:
        async with gate.admit("svc"):
            pass
    assert caught.value.status == 503 and caught.value.code == "SERVICE_BUSY"
    assert caught.value.retry_after_s >= 1
    release.set()
    await asyncio.gather(first, second)
    assert order == ["a in", "a out", "b in", "b out"]
    assert gate.waiting == 0


@pytest.mark.anyio
async def test_a_waiter_that_gives_up_leaves_the_queue() -> None:
    gate = ConcurrencyGate(limit=1, queue=1)
    hold = asyncio.Event()

    async def holder() -> None:
        async with gate.admit("svc"):
            await hold.wait()

    running = asyncio.create_task(holder())
    await asyncio.sleep(0)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05), gate.admit("svc"):
            pass
    assert gate.waiting == 0  # its place in the queue is free again
    hold.set()
    await running
    async with gate.admit("svc"):
        assert gate.waiting == 0
