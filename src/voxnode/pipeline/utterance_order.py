"""A stream's output in utterance order: the events of utterance n+1 (being translated
while n is still being spoken) wait until utterance n has finished, then leave in the
order they were made. Every utterance number must finish once (a dropped one at once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel

Emit = Callable[[BaseModel], Awaitable[None]]


class UtteranceOrder:
    def __init__(self, emit: Emit):
        self._emit = emit
        self._current = 0
        self._held: dict[int, list[BaseModel]] = {}
        self._finished: set[int] = set()

    def emitter(self, number: int) -> Emit:
        async def emit(event: BaseModel) -> None:
            await self.push(number, event)

        return emit

    async def push(self, number: int, event: BaseModel) -> None:
        if number == self._current:
            await self._emit(event)
        else:
            self._held.setdefault(number, []).append(event)

    async def finish(self, number: int) -> None:
        self._finished.add(number)
        while self._current in self._finished:
            self._finished.discard(self._current)
            self._current += 1
            for event in self._held.pop(self._current, []):
                await self._emit(event)
