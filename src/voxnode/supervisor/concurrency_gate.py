"""A service's `resources.max_concurrency`, enforced: that many requests at once, a bounded
queue behind them, and beyond it BusyError (503) with the time after which to retry."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from voxnode.contracts.errors import BusyError

HOLD_WEIGHT = 0.2
"""Weight of the newest request in the average time a request holds its place."""


class ConcurrencyGate:
    def __init__(self, limit: int, queue: int):
        self.limit = limit
        self.queue = queue
        self.waiting = 0
        self._free = asyncio.Semaphore(limit)
        self._hold_s = 1.0

    @asynccontextmanager
    async def admit(self, service_id: str) -> AsyncIterator[None]:
        """Hold one of the service's places while the request runs (waiting for one first)."""
        if self._free.locked() and self.waiting >= self.queue:
            raise BusyError(
                f"{service_id} is busy: {self.limit} requests running and {self.waiting} "
                "waiting, as many as it takes",
                retry_after_s=self.retry_after_s(),
            )
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
        started = time.monotonic()
        try:
            yield
        finally:
            self._free.release()
            held = time.monotonic() - started
            self._hold_s += HOLD_WEIGHT * (held - self._hold_s)

    def retry_after_s(self) -> float:
        """When a place is likely free for one more: the queue's turn at the average hold."""
        return max(1.0, math.ceil(self._hold_s * (self.waiting + 1) / self.limit))
