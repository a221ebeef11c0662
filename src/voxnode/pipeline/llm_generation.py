"""One whole (not streamed) LLM answer, routed: local or cloud by the LLM stage's rules and
an override, through the one service client, the way it went counted. The OpenAI face and
knowledge-base chat both ask this way."""

from __future__ import annotations

from typing import TypeVar

from voxnode.contracts.openai import ChatCompletionRequest, CompletionRequest
from voxnode.contracts.routing_settings import RouteStage
from voxnode.contracts.service_manifest import ServiceType
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.service_replies import Reply
from voxnode.pipeline.stage_routes import StageRoutes
from voxnode.routing.route_rules import Override, RouteDecision, RouteReason, estimate_tokens

T = TypeVar("T")


def llm_decision(
    routes: StageRoutes, body: ChatCompletionRequest | CompletionRequest, override: Override | None
) -> RouteDecision:
    """Where an LLM request goes, by the rules (its context length among them)."""
    texts = (
        [m.content for m in body.messages]
        if isinstance(body, ChatCompletionRequest)
        else [body.prompt]
    )
    facts = routes.facts(
        RouteStage.LLM, body, [], override=override, context_tokens=estimate_tokens(texts)
    )
    return routes.decide(RouteStage.LLM, facts)


async def generate_whole(
    client: ServiceClient, routes: StageRoutes, body: ChatCompletionRequest | CompletionRequest,
    answer: type[T], *, deadline: float, override: Override | None,
) -> tuple[Reply[T], RouteReason]:  # fmt: skip
    decision = llm_decision(routes, body, override)
    reply = await client.call(ServiceType.LLM, [], body, answer, deadline=deadline, route=decision)
    return reply, routes.record(RouteStage.LLM, decision, reply.route)
