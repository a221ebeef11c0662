"""A blocking iterator (an engine's stream) read on a thread and consumed asynchronously;
closing the consumer stops the thread after the piece in hand, which closes the engine's
stream (llama-server sees its client go and frees the slot)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


async def iterate_in_thread(start: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def deliver(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone (shutdown): nobody is listening
            stop.set()

    def run() -> None:
        try:
            items = start()
            try:
                for item in items:
                    deliver(item)
                    if stop.is_set():
                        break
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:  # delivered to the consumer, raised there
            deliver(exc)
        else:
            deliver(_END)

    worker = threading.Thread(target=run, name="stream", daemon=True)
    worker.start()
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
