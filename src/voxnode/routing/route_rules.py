"""Which way a request goes: this machine, the cloud, or one then the other.

`decide()` is a pure function of the request's facts and the stage's settings; the service
client follows its `order`, and the answer carries `route` and `reason`. Precedence: the
request's own override (body or header; else the session's), then the stage's mode; in
`hybrid`, the rules (a long chat, a stage or language not installed here). The low-quality
rule is applied after a local translation (`retranslate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from voxnode.contracts.routing_settings import StageRouting

Override = Literal["local", "cloud", "auto"]


class Route(StrEnum):
    LOCAL = "local"
    CLOUD = "cloud"


class RouteReason(StrEnum):
    MODE_LOCAL = "MODE_LOCAL"
    MODE_API = "MODE_API"
    OVERRIDE_LOCAL = "OVERRIDE_LOCAL"
    OVERRIDE_CLOUD = "OVERRIDE_CLOUD"
    LONG_CONTEXT = "LONG_CONTEXT"
    MISSING_LOCALLY = "MISSING_LOCALLY"
    HYBRID_LOCAL = "HYBRID_LOCAL"
    """hybrid, and no rule sent it to the cloud."""
    NO_CLOUD = "NO_CLOUD"
    """The cloud was wanted but no backend serves this stage."""
    LOW_QUALITY = "LOW_QUALITY"
    FAILOVER = "FAILOVER"
    """The first way failed; the answer came the other way."""


@dataclass(frozen=True, slots=True)
class RouteFacts:
    local_available: bool
    """Some local service of the stage serves the request's languages."""
    cloud_available: bool
    """Some cloud backend serves the stage (and languages)."""
    context_tokens: int | None = None
    override: Override | None = None


@dataclass(frozen=True, slots=True)
class RouteDecision:
    order: tuple[Route, ...]
    """The ways to try, first to last (one: no fallback)."""
    reason: RouteReason

    @property
    def first(self) -> Route:
        return self.order[0]


def decide(facts: RouteFacts, settings: StageRouting) -> RouteDecision:
    if facts.override == "local" or (settings.mode == "local" and facts.override != "cloud"):
        why = RouteReason.OVERRIDE_LOCAL if facts.override == "local" else RouteReason.MODE_LOCAL
        return RouteDecision((Route.LOCAL,), why)
    if not facts.cloud_available:
        return RouteDecision((Route.LOCAL,), RouteReason.NO_CLOUD)
    cloud_first = _with_fallback(Route.CLOUD, settings)
    if facts.override == "cloud":
        return RouteDecision(cloud_first, RouteReason.OVERRIDE_CLOUD)
    if settings.mode == "api":
        return RouteDecision(cloud_first, RouteReason.MODE_API)
    if settings.when_missing and not facts.local_available:
        return RouteDecision((Route.CLOUD,), RouteReason.MISSING_LOCALLY)
    long_after = settings.long_context_tokens
    if long_after is not None and (facts.context_tokens or 0) > long_after:
        return RouteDecision(cloud_first, RouteReason.LONG_CONTEXT)
    return RouteDecision(_with_fallback(Route.LOCAL, settings), RouteReason.HYBRID_LOCAL)


def retranslate(
    quality: float | None, route: Route, facts: RouteFacts, settings: StageRouting
) -> bool:
    """hybrid: a local translation under the quality threshold is sent to the cloud too."""
    threshold = settings.quality_under
    return (
        settings.mode == "hybrid" and facts.override != "local" and route is Route.LOCAL
        and facts.cloud_available and threshold is not None and quality is not None
        and quality < threshold
    )  # fmt: skip


def estimate_tokens(texts: list[str]) -> int:
    """About 4 characters a token for spaced scripts, one a character for CJK."""
    total = 0
    for text in texts:
        cjk = sum(1 for c in text if "\u3000" <= c <= "\u9fff")
        total += cjk + (len(text) - cjk + 3) // 4
    return total


def _with_fallback(first: Route, settings: StageRouting) -> tuple[Route, ...]:
    other = Route.LOCAL if first is Route.CLOUD else Route.CLOUD
    return (first, other) if settings.fallback else (first,)
