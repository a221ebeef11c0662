"""The way each stage's request goes (routing.route_rules over what is installed here and
which cloud backends are configured), and the record of it: the answer's route and reason,
and the Prometheus count by stage, route and reason. The orchestrator and the OpenAI face
both ask here, so every answer says which way it went and why."""

from __future__ import annotations

from voxnode.contracts.routing_settings import RouteStage
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_request import ServiceRequest
from voxnode.pipeline.pipeline_metrics import PipelineMetrics
from voxnode.pipeline.service_client import ServiceClient
from voxnode.routing.route_rules import (
    Override,
    Route,
    RouteDecision,
    RouteFacts,
    RouteReason,
    decide,
)

SERVICE_TYPES = {
    RouteStage.LLM: ServiceType.LLM, RouteStage.NMT: ServiceType.NMT,
    RouteStage.ASR: ServiceType.ASR, RouteStage.TTS: ServiceType.TTS,
}  # fmt: skip


class StageRoutes:
    def __init__(self, client: ServiceClient, metrics: PipelineMetrics):
        self._client = client
        self._metrics = metrics

    def facts(
        self, stage: RouteStage, request: ServiceRequest, languages: list[str], *,
        override: Override | None = None, context_tokens: int | None = None,
    ) -> RouteFacts:  # fmt: skip
        local = self._client.serving(SERVICE_TYPES[stage], languages)
        cloud = self._client.clouds(request, languages)
        return RouteFacts(
            local_available=bool(local), cloud_available=bool(cloud),
            context_tokens=context_tokens, override=override,
        )  # fmt: skip

    def decide(self, stage: RouteStage, facts: RouteFacts) -> RouteDecision:
        return decide(facts, self._client.routing.stage(stage))

    def record(self, stage: RouteStage, decision: RouteDecision, went: Route) -> RouteReason:
        """Why the answer came the way it did (FAILOVER when not the first way), counted."""
        reason = decision.reason if went is decision.first else RouteReason.FAILOVER
        self._metrics.routes.labels(stage.value, went.value, reason.value).inc()
        return reason
