"""Server-sent events both ways: reading a service's stream (the translation's pieces) and
writing the node's own (POST /v1/jobs with `stream: true`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str
    """The `event:` field; "message" when there is none."""
    data: str


class SseParser:
    """Bytes in as they come (any split), whole events out."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[SseEvent]:
        self._buffer += chunk.replace(b"\r\n", b"\n")
        events = []
        while (end := self._buffer.find(b"\n\n")) >= 0:
            block, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
            event = _parse(block.decode("utf-8"))
            if event is not None:
                events.append(event)
        return events


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[SseEvent]:
    parser = SseParser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event


def sse_bytes(event: str, data: str) -> bytes:
    """One event; `data` must be one line (JSON is)."""
    return f"event: {event}\ndata: {data}\n\n".encode()


def _parse(block: str) -> SseEvent | None:
    name, data = "message", []
    for line in block.split("\n"):
        if not line or line.startswith(":"):
            continue  # a comment (keep-alive)
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return SseEvent(name, "\n".join(data)) if data else None
