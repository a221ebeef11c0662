"""Engine pieces in OpenAI's shapes: chat completions (whole or as SSE chunks) and text
completions, with usage and, when asked, token log-probabilities."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

from voxnode.contracts.openai import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionChunk,
    ChoiceLogprobs,
    ChunkChoice,
    ChunkDelta,
    Completion,
    CompletionChoice,
    TokenLogprob,
    UsageOut,
)
from voxnode.engines.llm_engine import Piece, Usage

DONE = b"data: [DONE]\n\n"


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:24]}"


def usage_out(usage: Usage | None) -> UsageOut | None:
    if usage is None:
        return None
    total = usage.prompt_tokens + usage.completion_tokens
    return UsageOut(
        prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
        total_tokens=total,
    )  # fmt: skip


def _logprobs(pieces: list[Piece]) -> ChoiceLogprobs:
    return ChoiceLogprobs(
        content=[
            TokenLogprob(token=p.text, logprob=p.logprob)
            for p in pieces
            if p.text and p.logprob is not None
        ]
    )


async def chat_completion(
    pieces: AsyncIterator[Piece], *, model: str, logprobs: bool
) -> ChatCompletion:
    seen = [piece async for piece in pieces]
    last = seen[-1] if seen else Piece("", finish_reason="stop")
    choice = ChatChoice(
        message=AssistantMessage(content="".join(p.text for p in seen)),
        finish_reason=last.finish_reason or "stop",
        logprobs=_logprobs(seen) if logprobs else None,
    )
    return ChatCompletion(
        id=new_id("chatcmpl"), model=model, choices=[choice], usage=usage_out(last.usage)
    )


async def chat_chunks(
    pieces: AsyncIterator[Piece], *, model: str, logprobs: bool, include_usage: bool
) -> AsyncIterator[bytes]:
    """SSE events: a role chunk, one chunk per piece, the finish chunk, the usage chunk when
    asked, then [DONE]."""
    chunk_id = new_id("chatcmpl")

    def event(chunk: ChatCompletionChunk) -> bytes:
        return b"data: " + chunk.model_dump_json(exclude_none=True).encode() + b"\n\n"

    first = ChunkChoice(delta=ChunkDelta(role="assistant", content=""))
    yield event(ChatCompletionChunk(id=chunk_id, model=model, choices=[first]))
    async for piece in pieces:
        if piece.text:
            lp = _logprobs([piece]) if logprobs else None
            choice = ChunkChoice(delta=ChunkDelta(content=piece.text), logprobs=lp)
            yield event(ChatCompletionChunk(id=chunk_id, model=model, choices=[choice]))
        if piece.finish_reason is not None:
            done = ChunkChoice(delta=ChunkDelta(), finish_reason=piece.finish_reason)
            yield event(ChatCompletionChunk(id=chunk_id, model=model, choices=[done]))
            if include_usage:
                usage = ChatCompletionChunk(
                    id=chunk_id, model=model, choices=[], usage=usage_out(piece.usage)
                )
                yield b"data: " + usage.model_dump_json().encode() + b"\n\n"
    yield DONE


async def text_completion(pieces: AsyncIterator[Piece], *, model: str) -> Completion:
    seen = [piece async for piece in pieces]
    last = seen[-1] if seen else Piece("", finish_reason="stop")
    choice = CompletionChoice(
        text="".join(p.text for p in seen), finish_reason=last.finish_reason or "stop"
    )
    return Completion(id=new_id("cmpl"), model=model, choices=[choice], usage=usage_out(last.usage))


async def completion_chunks(pieces: AsyncIterator[Piece], *, model: str) -> AsyncIterator[bytes]:
    chunk_id = new_id("cmpl")
    async for piece in pieces:
        if piece.text or piece.finish_reason:
            choice = CompletionChoice(text=piece.text, finish_reason=piece.finish_reason)
            chunk = Completion(id=chunk_id, model=model, choices=[choice])
            yield b"data: " + json.dumps(chunk.model_dump()).encode() + b"\n\n"
    yield DONE
