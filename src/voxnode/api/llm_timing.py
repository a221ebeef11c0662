"""What the OpenAI face measures of an LLM answer: time to the first content, tokens.

`StreamWatch` reads the SSE bytes of a streamed answer as they pass through (it never
changes them): the first event whose delta (chat) or text (completion) is not empty is the
first token; an event with `usage` gives the token counts (a host sends one when the client
asked for it with stream_options.include_usage).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from voxnode.contracts.openai import UsageOut


@dataclass(frozen=True, slots=True)
class LlmTiming:
    stream: bool
    first_token_s: float | None
    """Request to the first content (streams) or to the whole answer; None: no content."""
    total_s: float
    usage: UsageOut | None


class StreamWatch:
    def __init__(self, started: float):
        self._started = started
        self._pending = b""
        self.first_token_s: float | None = None
        self.usage: UsageOut | None = None

    def feed(self, chunk: bytes, now: float) -> None:
        self._pending += chunk
        *events, self._pending = self._pending.replace(b"\r\n", b"\n").split(b"\n\n")
        for event in events:
            for line in event.split(b"\n"):
                if line.startswith(b"data:"):
                    self._read(line[5:].strip(), now)

    def timing(self, now: float) -> LlmTiming:
        return LlmTiming(True, self.first_token_s, now - self._started, self.usage)

    def _read(self, data: bytes, now: float) -> None:
        if data == b"[DONE]":
            return
        try:
            event: Any = json.loads(data)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        if self.first_token_s is None and chunk_text(event):
            self.first_token_s = now - self._started
        if isinstance(event.get("usage"), dict):
            with contextlib.suppress(ValueError):
                self.usage = UsageOut.model_validate(event["usage"])


def chunk_text(event: dict[str, Any]) -> str:
    """The text a streamed chat or completion chunk adds ("" for any other event)."""
    parts = []
    for choice in event.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta")
        if isinstance(delta, dict) and delta.get("content"):
            parts.append(str(delta["content"]))
        elif choice.get("text"):
            parts.append(str(choice["text"]))
    return "".join(parts)
