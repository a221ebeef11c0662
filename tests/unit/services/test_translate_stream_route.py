"""The translate stream's generation is over before its caller goes on, even when the
response is cancelled the way Starlette cancels one (an anyio task group)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import anyio
from pydantic import BaseModel

from voxnode.contracts.translate_stream import TranslationPiece
from voxnode.services.translate.stream_route import _run


def test_a_cancelled_stream_waits_for_its_generation_to_stop() -> None:
    seen: list[str] = []

    def produce(stop: threading.Event) -> Iterator[BaseModel]:
        yield TranslationPiece(index=0, text="first")
        while not stop.is_set():  # a generation that stops only when told
            time.sleep(0.01)
        time.sleep(0.2)  # and takes a moment to do so
        seen.append("generation stopped")

    async def consume() -> None:
        try:
            async for _ in _run(produce):  # cancelled while it waits for the next piece
                pass
        finally:
            seen.append("caller went on")

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            await asyncio.sleep(0.1)
            group.cancel_scope.cancel()

    asyncio.run(main())
    assert seen == ["generation stopped", "caller went on"]
