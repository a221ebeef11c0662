"""Retrieval chat (POST /v1/kb/{name}/chat and `voxnode kb chat`): the base's passages for
the question, numbered into the prompt (knowledge/grounded_prompt.py), one routed answer
from the LLM host (pipeline/llm_generation.py), and the answer's citations checked against
the passages it was given. A document still being imported is not searchable yet (imports
are all-or-nothing per document), so a question never sees half a document."""

from __future__ import annotations

import time

from voxnode.contracts.knowledge import KbChatAnswer, KbChatRequest, KbCitation
from voxnode.contracts.openai import ChatCompletion, ChatCompletionRequest
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


async def chat(
    kb: KnowledgeManager, client: ServiceClient, routes: StageRoutes, name: str,
    body: KbChatRequest, *, timeout_s: float,
) -> KbChatAnswer:  # fmt: skip
    """`timeout_s` bounds the answer; its clock starts once the passages are found."""
    started = time.monotonic()
    base = await kb.get(name)
    hits = await base.query(
        body.question, top_k=body.top_k, min_cosine=body.min_cosine, mode=body.mode
    )
    passages = passages_within(hits, body.context_tokens)
    retrieved = time.monotonic()
    request = ChatCompletionRequest(
        model=body.model, messages=grounded_messages(body.question, passages, body.history),
        max_tokens=body.max_tokens, temperature=body.temperature,
    )  # fmt: skip
    reply, reason = await generate_whole(
        client, routes, request, ChatCompletion, deadline=retrieved + timeout_s,
        override=body.route,
    )  # fmt: skip
    text, cited, dropped = checked_citations(
        reply.body.choices[0].message.content if reply.body.choices else "", len(passages)
    )
    citations = [_citation(number, hit, number in cited) for number, hit in enumerate(passages, 1)]
    return KbChatAnswer(
        base=name, question=body.question, answer=text, citations=citations,
        dropped_markers=dropped, grounded=bool(passages), model=reply.body.model,
        usage=reply.body.usage, service_id=reply.service_id, route=reply.route.value,
        route_reason=reason.value, retrieval_ms=round((retrieved - started) * 1000, 2),
        took_ms=round((time.monotonic() - started) * 1000, 2),
    )  # fmt: skip


def _citation(number: int, hit: RetrievedChunk, cited: bool) -> KbCitation:
    return KbCitation(
        number=number, cited=cited, chunk_id=hit.chunk_id, doc_id=hit.doc_id, title=hit.title,
        section=hit.section, source=hit.source, position=hit.position, page=hit.page,
        cosine=hit.cosine, text=hit.text,
    )  # fmt: skip
