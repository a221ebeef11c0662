"""The node's OpenAI-compatible face (contract 6), routed to a ready `llm` service through
the one service client: on-demand start, failover (a stream only before its first byte),
errors in the shape OpenAI clients read. Which service answered is in X-VoxNode-Service.
Each answer's first-token time and tokens go to the node monitor (llm_timing).

Also VoxNode's LLM extensions: `POST /v1/score`, `GET /v1/llm/status` (what every model host
holds) and `POST /v1/llm/unload`.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse, Response, StreamingResponse

from voxnode.api import kb_chat
from voxnode.api.llm_timing import LlmTiming, StreamWatch, chunk_text
from voxnode.api.node_state import NodeState, node_state
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.openai import (
    ChatCompletion,
    ChatCompletionRequest,
    Completion,
    CompletionRequest,
    HostStatus,
    HostStatusRequest,
    ScoreRequest,
    ScoreResponse,
    UnloadRequest,
    UnloadResponse,
)
from voxnode.contracts.routing_settings import RouteStage
from voxnode.contracts.service_manifest import ServiceType
from voxnode.knowledge.retrieval import RetrievedChunk
from voxnode.pipeline.llm_generation import generate_whole, llm_decision
from voxnode.pipeline.sse_events import SseParser
from voxnode.routing.route_rules import Override, Route, RouteReason

router = APIRouter(tags=["openai"])
SERVICE_HEADER = "X-VoxNode-Service"
ROUTE_HEADER = "X-VoxNode-Route"
"""Asked for in a request (local, cloud, auto); answered as "<local|cloud>; reason=..."."""


def _deadline(node: NodeState) -> float:
    return time.monotonic() + node.settings.pipeline.llm_timeout_ms / 1000


async def _generate(
    node: NodeState, body: ChatCompletionRequest | CompletionRequest,
    answer: type[ChatCompletion] | type[Completion], wanted_route: str | None,
) -> Response:  # fmt: skip
    started = time.monotonic()
    client = node.client
    override = body.route or _override(wanted_route)
    passages: list[RetrievedChunk] | None = None
    if isinstance(body, ChatCompletionRequest) and body.knowledge_base is not None:
        passages = await _grounding(node, body.knowledge_base, body)
        body = kb_chat.grounded_request(body, passages)
    deadline = _deadline(node)
    if body.stream:
        decision = llm_decision(node.routes, body, override)
        first_ms = node.settings.pipeline.llm_first_token_timeout_ms
        reply = await client.stream(
            ServiceType.LLM, [], body, deadline=deadline,
            first_byte_s=first_ms / 1000 if first_ms else None, route=decision,
        )  # fmt: skip
        reason = node.routes.record(RouteStage.LLM, decision, reply.route)
        chunks = _sse_or_error(reply.chunks())
        if passages is not None:
            chunks = _with_citations(passages, chunks)
        return StreamingResponse(
            _timed(chunks, StreamWatch(started), node),
            media_type="text/event-stream",
            headers=_route_headers(reply.service_id, reply.route, reason),
        )  # fmt: skip
    whole, reason = await generate_whole(
        client, node.routes, body, answer, deadline=deadline, override=override
    )
    answered_s = time.monotonic() - started
    node.monitor.record_llm(LlmTiming(False, answered_s, answered_s, whole.body.usage))
    shown = whole.body.model_dump(exclude_none=True)
    if passages is not None:
        _cite(shown, passages)
    return JSONResponse(shown, headers=_route_headers(whole.service_id, whole.route, reason))


async def _grounding(
    node: NodeState, base: str, body: ChatCompletionRequest
) -> list[RetrievedChunk]:
    """The passages of the chat's knowledge base for its question (its last user message)."""
    question, _ = kb_chat.last_question(body.messages)
    return await kb_chat.passages_for(
        node.knowledge_bases(), base, question, top_k=body.knowledge_top_k
    )


def _cite(answer: dict[str, Any], passages: list[RetrievedChunk]) -> None:
    """The answer's markers checked; `citations` and `dropped_markers` added (VoxNode)."""
    message = answer["choices"][0]["message"] if answer.get("choices") else None
    text, citations, dropped = kb_chat.cited(message["content"] if message else "", passages)
    if message is not None:
        message["content"] = text
    answer["citations"] = [c.model_dump() for c in citations]
    answer["dropped_markers"] = dropped


async def _with_citations(
    passages: list[RetrievedChunk], chunks: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """A streamed grounded chat: first a chunk with no choices that carries `citations`
    (every passage given, none marked cited: the answer is not written yet), then the
    answer's chunks, and before `[DONE]` one more chunk with no choices whose `citations`
    and `dropped_markers` are checked against the whole answer, as the unstreamed answer's
    are. A marker the node attributes (`attributed: true`) is only in that list: the text
    went out already."""
    yield _citations_chunk("", passages)
    parser, written = SseParser(), list[str]()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            if event.data == "[DONE]":
                yield _citations_chunk("".join(written), passages, with_dropped=True)
            else:
                written.append(_delta_text(event.data))
            yield f"data: {event.data}\n\n".encode()


def _citations_chunk(
    answer: str, passages: list[RetrievedChunk], *, with_dropped: bool = False
) -> bytes:
    _, citations, dropped = kb_chat.cited(answer, passages)
    chunk: dict[str, Any] = {"object": "chat.completion.chunk", "choices": [],
                             "citations": [c.model_dump() for c in citations]}  # fmt: skip
    if with_dropped:
        chunk["dropped_markers"] = dropped
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


def _delta_text(data: str) -> str:
    try:
        event = json.loads(data)
    except ValueError:
        return ""
    return chunk_text(event) if isinstance(event, dict) else ""


def _override(header: str | None) -> Override | None:
    value = (header or "").strip().lower()
    return value if value in ("local", "cloud", "auto") else None  # type: ignore[return-value]


def _route_headers(service_id: str, route: Route, reason: RouteReason) -> dict[str, str]:
    return {SERVICE_HEADER: service_id, ROUTE_HEADER: f"{route.value}; reason={reason.value}"}


async def _timed(
    chunks: AsyncIterator[bytes], watch: StreamWatch, node: NodeState
) -> AsyncIterator[bytes]:
    """The stream as it is, read on the way for its first token and usage (monitoring)."""
    try:
        async for chunk in chunks:
            watch.feed(chunk, time.monotonic())
            yield chunk
    finally:
        node.monitor.record_llm(watch.timing(time.monotonic()))


async def _sse_or_error(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """A stream that broke off after its first bytes ends with an error event, which OpenAI
    clients raise as an APIError (the status line was sent long ago)."""
    try:
        async for chunk in chunks:
            yield chunk
    except VoxnodeError as exc:
        yield b"\n\ndata: " + exc.body().model_dump_json().encode() + b"\n\n"


@router.post("/v1/chat/completions")
async def chat_completions(
    body: ChatCompletionRequest, node: NodeState = Depends(node_state),
    x_voxnode_route: str | None = Header(None),
) -> Response:  # fmt: skip
    return await _generate(node, body, ChatCompletion, x_voxnode_route)


@router.post("/v1/completions")
async def completions(
    body: CompletionRequest, node: NodeState = Depends(node_state),
    x_voxnode_route: str | None = Header(None),
) -> Response:  # fmt: skip
    return await _generate(node, body, Completion, x_voxnode_route)


@router.post("/v1/score")
async def score(body: ScoreRequest, node: NodeState = Depends(node_state)) -> ScoreResponse:
    reply = await node.client.call(
        ServiceType.LLM, [], body, ScoreResponse, deadline=_deadline(node)
    )
    return reply.body


@router.get("/v1/llm/status")
async def llm_status(node: NodeState = Depends(node_state)) -> dict[str, Any]:
    replies = await node.client.call_each(
        ServiceType.LLM, HostStatusRequest(), HostStatus, deadline=time.monotonic() + 10
    )
    return {"hosts": [{"service_id": r.service_id, **r.body.model_dump()} for r in replies]}


@router.post("/v1/llm/unload")
async def llm_unload(body: UnloadRequest, node: NodeState = Depends(node_state)) -> dict[str, Any]:
    replies = await node.client.call_each(
        ServiceType.LLM, body, UnloadResponse, deadline=time.monotonic() + 30
    )
    return {"model": body.model, "unloaded": any(r.body.unloaded for r in replies)}
