"""POST /v1/translate/stream: the streamed translation as server-sent events (`piece`,
then `done`; `error` with contract 2's ErrorBody when it fails once begun).

The request is checked before the stream begins (a bad pair is a 400, a service still
loading a 503). The generation runs on a thread under the service's concurrency gate; when
the caller goes away the generation stops at the next token, and the gate is released only
once it has stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator

import anyio
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.translate_stream import (
    DONE_EVENT,
    ERROR_EVENT,
    PIECE_EVENT,
    TranslateStreamRequest,
    TranslationDone,
)
from voxnode.services.common.model_app import ModelApp

Produce = Callable[[threading.Event], Iterator[BaseModel]]
"""Starts the generation (on a thread); the event stops it."""
_END = object()


def add_stream_route(
    model: ModelApp, prepare: Callable[[TranslateStreamRequest, float], Produce],
    default_deadline_ms: int,
) -> None:  # fmt: skip
    """`prepare(request, deadline)` checks the request (raising its error before the stream
    begins) and gives the generation to run."""

    @model.app.post("/v1/translate/stream")
    async def translate_stream(request: TranslateStreamRequest) -> StreamingResponse:
        deadline = time.monotonic() + (request.deadline_ms or default_deadline_ms) / 1000
        model.require_ready()
        produce = prepare(request, deadline)
        return StreamingResponse(
            _events(model, produce, deadline), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )  # fmt: skip


async def _events(model: ModelApp, produce: Produce, deadline: float) -> AsyncIterator[bytes]:
    try:
        async with model.admitted(deadline):
            async for event in _run(produce):
                name = DONE_EVENT if isinstance(event, TranslationDone) else PIECE_EVENT
                yield sse(name, event.model_dump_json())
        model.served += 1
    except VoxnodeError as exc:
        yield sse(ERROR_EVENT, exc.body().model_dump_json())


async def _run(produce: Produce) -> AsyncIterator[BaseModel]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def put(item: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody listens
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            for event in produce(stop):
                put(event)
        except Exception as exc:  # goes to the caller as an error event
            put(exc)
        finally:
            put(_END)

    worker = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, VoxnodeError):
                raise item
            if isinstance(item, Exception):
                raise VoxnodeError(f"{type(item).__name__}: {item}", code="TRANSLATION_FAILED")
            assert isinstance(item, BaseModel)
            yield item
    finally:
        stop.set()
        # the generation has stopped before the gate opens: shielded from the response's
        # own cancellation, which anyio delivers again on every loop cycle
        with anyio.CancelScope(shield=True):
            await worker


def sse(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()
