"""The node's streaming faces (contract 6): WS /v1/stream (live audio in, partial and final
results and audio pieces out) and POST /v1/jobs with `stream: true` (the same events as
server-sent events, for one utterance given whole).

One task sends (the session's events go through one bounded queue, so they leave in the
order they were made, and a client that reads slowly slows its own stream instead of filling
the node's memory); the receiving loop reads audio and control. A client that goes away, or
sends `cancel`, ends the session: its decodes, jobs and their service requests stop. At most
`stream.max_streams` run at once; one more gets TOO_MANY_STREAMS and is closed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ValidationError

from voxnode.api.node_state import NodeState
from voxnode.contracts.errors import BadInputError, BusyError, ErrorCategory, VoxnodeError
from voxnode.contracts.job import JobRequest
from voxnode.contracts.stream_messages import (
    StreamAudio,
    StreamCancel,
    StreamEnd,
    StreamErrorEvent,
    StreamReady,
    StreamStart,
    UtteranceResultEvent,
    client_message,
)
from voxnode.pipeline.job_stream import Emit, JobStream
from voxnode.pipeline.sse_events import sse_bytes
from voxnode.pipeline.stream_session import StreamSession
from voxnode.pipeline.streamed_translation import StreamedTranslation
from voxnode.pipeline.voice_activity import open_voice_activity

log = logging.getLogger(__name__)
router = APIRouter(tags=["stream"])
START_TIMEOUT_S = 30.0
"""A client that sends no `start` within this is closed."""
CLOSE_TIMEOUT_S = 30.0
"""At the end, the events still queued go out within this; a client that reads none is
dropped then."""


class TooManyStreamsError(BusyError):
    code = "TOO_MANY_STREAMS"


def speaker(node: NodeState) -> StreamedTranslation:
    settings = node.settings
    return StreamedTranslation(node.client, node.routes, settings.pipeline, settings.stream)


def open_session(node: NodeState, start: StreamStart, emit: Emit) -> StreamSession:
    """A stream on this node's pipeline (also what `voxnode live` runs in process)."""
    settings = node.settings
    return StreamSession(
        start, jobs=node.jobs, client=node.client, speaker=speaker(node),
        settings=settings.stream, pipeline=settings.pipeline,
        vad=open_voice_activity(settings.stream), emit=emit,
    )  # fmt: skip


def error_event(exc: VoxnodeError, index: int | None = None) -> StreamErrorEvent:
    category = getattr(exc, "category", ErrorCategory.PERMANENT)
    return StreamErrorEvent(
        utterance_index=index, code=exc.code, category=category.value, message=exc.message
    )


@router.websocket("/v1/stream")
async def stream(socket: WebSocket) -> None:
    node: NodeState = socket.app.state.node
    await socket.accept()
    settings = node.settings.stream
    outbox: asyncio.Queue[BaseModel | None] = asyncio.Queue(settings.outbox_events)
    sender = asyncio.create_task(_send(socket, outbox))
    session: StreamSession | None = None
    node.open_streams += 1
    try:
        if node.open_streams > settings.max_streams:
            raise TooManyStreamsError(
                f"this node runs at most {settings.max_streams} live streams "
                "(stream.max_streams); try again when one ends", retry_after_s=5.0,
            )  # fmt: skip
        start = await _start(socket)
        session = open_session(node, start, outbox.put)
        await outbox.put(StreamReady(session_id=start.session_id, vad=session.vad_name))
        await _receive(socket, session, outbox)
    except WebSocketDisconnect:
        pass
    except VoxnodeError as exc:
        await outbox.put(error_event(exc))
    finally:  # shielded: a server (or test client) cancelling the handler still frees all
        node.open_streams -= 1
        await asyncio.shield(_close(session, outbox, sender))


async def _close(
    session: StreamSession | None, outbox: asyncio.Queue[BaseModel | None],
    sender: asyncio.Task[None],
) -> None:  # fmt: skip
    if session is not None:
        await session.close()
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await outbox.put(None)
            await sender
    except TimeoutError:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)


async def _start(socket: WebSocket) -> StreamStart:
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            text = await socket.receive_text()
        message = client_message.validate_json(text)
    except (TimeoutError, ValidationError, KeyError) as exc:
        raise BadInputError(f"the first message must be a valid `start`: {exc}",
                            code="BAD_START") from exc  # fmt: skip
    if not isinstance(message, StreamStart):
        raise BadInputError("the first message must be `start`", code="BAD_START")
    return message


async def _receive(
    socket: WebSocket, session: StreamSession, outbox: asyncio.Queue[BaseModel | None]
) -> None:
    """Audio and control until `cancel` or the client's disconnect. After `end` the stream
    is finished in a task (every utterance answered, `done`, then the socket is closed)
    while this still listens for `cancel` or a disconnect."""
    ending: asyncio.Task[None] | None = None
    try:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                if ending is None:
                    await _feed(session, message["bytes"], outbox)
                continue
            try:
                parsed = client_message.validate_json(message.get("text") or "")
            except ValidationError as exc:
                await outbox.put(error_event(BadInputError(f"not a stream message: {exc}")))
                continue
            if isinstance(parsed, StreamAudio) and ending is None:
                try:
                    data = base64.b64decode(parsed.data, validate=True)
                except (binascii.Error, ValueError):
                    await outbox.put(error_event(BadInputError("audio data must be base64")))
                else:
                    await _feed(session, data, outbox)
            elif isinstance(parsed, StreamEnd) and ending is None:
                ending = asyncio.create_task(_finish(session, outbox))
            elif isinstance(parsed, StreamCancel):
                return
    finally:
        if ending is not None and not ending.done():
            ending.cancel()
        if ending is not None:
            await asyncio.gather(ending, return_exceptions=True)


async def _feed(
    session: StreamSession, data: bytes, outbox: asyncio.Queue[BaseModel | None]
) -> None:
    """Audio in; a frame that does not decode (a corrupt Opus packet) is reported and
    skipped, as a bad base64 message is: the stream and its utterances go on."""
    try:
        await session.feed(data)
    except BadInputError as exc:
        await outbox.put(error_event(exc))


async def _finish(session: StreamSession, outbox: asyncio.Queue[BaseModel | None]) -> None:
    await session.end()
    await outbox.put(None)  # the sender closes the socket after `done`


async def _send(socket: WebSocket, outbox: asyncio.Queue[BaseModel | None]) -> None:
    open_ = True
    while (event := await outbox.get()) is not None:
        if not open_:
            continue
        try:
            await socket.send_text(event.model_dump_json())
        except (WebSocketDisconnect, RuntimeError, OSError):
            open_ = False  # the client is gone; the receiving side ends the session
    if open_:
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await socket.close()


# ----- POST /v1/jobs with stream: true


def streamed_job(node: NodeState, request: JobRequest) -> StreamingResponse:
    return StreamingResponse(_job_events(node, request), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})  # fmt: skip


async def _job_events(node: NodeState, request: JobRequest) -> AsyncIterator[bytes]:
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def emit(event: BaseModel) -> None:
        await queue.put(sse_bytes(str(getattr(event, "type", "message")), event.model_dump_json()))

    hooks = JobStream(emit, speaker=speaker(node), started=time.monotonic())

    async def job() -> None:
        try:
            result = await node.jobs.run(request, on_asr=hooks.heard, stream=hooks)
            await hooks.tell(
                UtteranceResultEvent(result=result.model_copy(update={"audio": None})), result
            )
        except VoxnodeError as exc:
            await emit(error_event(exc, request.utterance_index))
        except Exception as exc:  # a bug must not end the events without a word
            log.exception("streamed job failed")
            await emit(error_event(VoxnodeError(str(exc)), request.utterance_index))
        finally:
            await queue.put(None)

    task = asyncio.create_task(job())
    try:
        while (chunk := await queue.get()) is not None:
            yield chunk
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
