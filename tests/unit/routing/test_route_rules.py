"""Local or cloud: every rule as one row."""

from __future__ import annotations

import pytest

from voxnode.contracts.routing_settings import StageRouting
from voxnode.routing.route_rules import (
    Route,
    RouteDecision,
    RouteFacts,
    RouteReason,
    decide,
    estimate_tokens,
    retranslate,
)

L, C = Route.LOCAL, Route.CLOUD
LOCAL = StageRouting()
API = StageRouting(mode="api")
API_ONLY = StageRouting(mode="api", fallback=False)
HYBRID = StageRouting(mode="hybrid", long_context_tokens=4000, quality_under=0.4)


def facts(**fields: object) -> RouteFacts:
    values: dict[str, object] = {"local_available": True, "cloud_available": True}
    values.update(fields)
    return RouteFacts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "given", "expected"),
    [
        # local: nothing leaves the machine, whatever else holds
        (LOCAL, facts(), RouteDecision((L,), RouteReason.MODE_LOCAL)),
        (LOCAL, facts(local_available=False), RouteDecision((L,), RouteReason.MODE_LOCAL)),
        (LOCAL, facts(context_tokens=99999), RouteDecision((L,), RouteReason.MODE_LOCAL)),
        # ... unless the request itself asks for the cloud
        (LOCAL, facts(override="cloud"), RouteDecision((C, L), RouteReason.OVERRIDE_CLOUD)),
        (API, facts(), RouteDecision((C, L), RouteReason.MODE_API)),
        (API_ONLY, facts(), RouteDecision((C,), RouteReason.MODE_API)),
        (API, facts(override="local"), RouteDecision((L,), RouteReason.OVERRIDE_LOCAL)),
        (API, facts(cloud_available=False), RouteDecision((L,), RouteReason.NO_CLOUD)),
        (HYBRID, facts(), RouteDecision((L, C), RouteReason.HYBRID_LOCAL)),
        (HYBRID, facts(context_tokens=4001), RouteDecision((C, L), RouteReason.LONG_CONTEXT)),
        (HYBRID, facts(context_tokens=4000), RouteDecision((L, C), RouteReason.HYBRID_LOCAL)),
        (HYBRID, facts(local_available=False), RouteDecision((C,), RouteReason.MISSING_LOCALLY)),
        (HYBRID, facts(override="auto"), RouteDecision((L, C), RouteReason.HYBRID_LOCAL)),
        (HYBRID, facts(override="local", context_tokens=9000),
         RouteDecision((L,), RouteReason.OVERRIDE_LOCAL)),
        (StageRouting(mode="hybrid", when_missing=False), facts(local_available=False),
         RouteDecision((L, C), RouteReason.HYBRID_LOCAL)),
    ],
)  # fmt: skip
def test_decide(settings: StageRouting, given: RouteFacts, expected: RouteDecision) -> None:
    assert decide(given, settings) == expected


@pytest.mark.parametrize(
    ("quality", "route", "given", "settings", "again"),
    [
        (0.3, L, facts(), HYBRID, True),
        (0.5, L, facts(), HYBRID, False),
        (None, L, facts(), HYBRID, False),
        (0.3, C, facts(), HYBRID, False),  # the cloud's own answer is not sent again
        (0.3, L, facts(cloud_available=False), HYBRID, False),
        (0.3, L, facts(override="local"), HYBRID, False),
        (0.3, L, facts(), API, False),  # only hybrid's rule
    ],
)
def test_retranslate(
    quality: float | None, route: Route, given: RouteFacts, settings: StageRouting, again: bool
) -> None:
    assert retranslate(quality, route, given, settings) is again


def test_estimate_tokens() -> None:
    assert estimate_tokens(["hello world"]) == 3
    assert estimate_tokens(["你好世界"]) == 4
    assert estimate_tokens(["a" * 4000, "b" * 4000]) == 2000
