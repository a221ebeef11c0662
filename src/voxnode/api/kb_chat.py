"""Retrieval chat: the base's passages for the question, numbered into the prompt
(knowledge/grounded_prompt.py), one routed answer from the LLM host
(pipeline/llm_generation.py), and the answer's citations checked against the passages it was
given. Two faces: POST /v1/kb/{name}/chat (and `voxnode kb chat`), and the OpenAI face's
`knowledge_base` extension (api/openai_routes.py), which use the same steps. A document still
being imported is not searchable yet (imports are all-or-nothing per document), so a question
never sees half a document."""

from __future__ import annotations

import time
from collections.abc import Sequence

from voxnode.contracts.knowledge import KbChatAnswer, KbChatRequest, KbCitation
from voxnode.contracts.openai import ChatCompletion, ChatCompletionRequest, ChatMessageIn
from voxnode.knowledge.citation_matching import attribute
from voxnode.knowledge.grounded_prompt import (
    checked_citations,
    grounded_messages,
    passages_within,
)
from voxnode.knowledge.knowledge_manager import KnowledgeManager
from voxnode.knowledge.retrieval import RetrievedChunk
from voxnode.pipeline.llm_generation import generate_whole
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.stage_routes import StageRoutes


async def passages_for(
    kb: KnowledgeManager, name: str, question: str, *, top_k: int = 5,
    min_cosine: float | None = None, mode: str = "hybrid", context_tokens: int = 1500,
) -> list[RetrievedChunk]:  # fmt: skip
    base = await kb.get(name)
    hits = await base.query(question, top_k=top_k, min_cosine=min_cosine, mode=mode)
    return passages_within(hits, context_tokens)


def cited(
    answer: str, passages: Sequence[RetrievedChunk]
) -> tuple[str, list[KbCitation], list[int]]:
    """The answer with its markers checked and the ones it left out added, every passage as
    a citation, the dropped markers."""
    text, numbers, dropped = checked_citations(answer, len(passages))
    text, added = attribute(text, [hit.text for hit in passages])
    citations = [
        _citation(n, hit, n in numbers or n in added, attributed=n in added and n not in numbers)
        for n, hit in enumerate(passages, 1)
    ]
    return text, citations, dropped


def grounded_request(
    body: ChatCompletionRequest, passages: Sequence[RetrievedChunk]
) -> ChatCompletionRequest:
    """An OpenAI chat whose last user message is the question, the passages put before it."""
    question, history = last_question(body.messages)
    messages = grounded_messages(question, passages, history)
    return body.model_copy(update={"messages": messages, "knowledge_base": None})


def last_question(messages: Sequence[ChatMessageIn]) -> tuple[str, list[ChatMessageIn]]:
    for position in range(len(messages) - 1, -1, -1):
        if messages[position].role == "user":
            return messages[position].content, list(messages[:position])
    return messages[-1].content, list(messages[:-1])


async def chat(
    kb: KnowledgeManager, client: ServiceClient, routes: StageRoutes, name: str,
    body: KbChatRequest, *, timeout_s: float,
) -> KbChatAnswer:  # fmt: skip
    """`timeout_s` bounds the answer; its clock starts once the passages are found."""
    started = time.monotonic()
    passages = await passages_for(
        kb, name, body.question, top_k=body.top_k, min_cosine=body.min_cosine, mode=body.mode,
        context_tokens=body.context_tokens,
    )  # fmt: skip
    retrieved = time.monotonic()
    request = ChatCompletionRequest(
        model=body.model, messages=grounded_messages(body.question, passages, body.history),
        max_tokens=body.max_tokens, temperature=body.temperature,
    )  # fmt: skip
    reply, reason = await generate_whole(
        client, routes, request, ChatCompletion, deadline=retrieved + timeout_s,
        override=body.route,
    )  # fmt: skip
    content = reply.body.choices[0].message.content if reply.body.choices else ""
    text, citations, dropped = cited(content, passages)
    return KbChatAnswer(
        base=name, question=body.question, answer=text, citations=citations,
        dropped_markers=dropped, grounded=bool(passages), model=reply.body.model,
        usage=reply.body.usage, service_id=reply.service_id, route=reply.route.value,
        route_reason=reason.value, retrieval_ms=round((retrieved - started) * 1000, 2),
        took_ms=round((time.monotonic() - started) * 1000, 2),
    )  # fmt: skip


def _citation(
    number: int, hit: RetrievedChunk, is_cited: bool, *, attributed: bool = False
) -> KbCitation:
    return KbCitation(
        number=number, cited=is_cited, attributed=attributed, chunk_id=hit.chunk_id,
        doc_id=hit.doc_id, title=hit.title, section=hit.section, source=hit.source,
        position=hit.position, page=hit.page, cosine=hit.cosine, text=hit.text,
    )  # fmt: skip
