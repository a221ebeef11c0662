"""Read a service's GET /health answer (contract 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: str
    warmed: bool
    detail: dict[str, Any]

    @property
    def ready(self) -> bool:
        """Ready = `ok` and `warmed` (a hard-coded `true` is what broke the origin system)."""
        return self.status == "ok" and self.warmed


def parse_health(payload: Any) -> HealthReport:
    if not isinstance(payload, dict):
        return HealthReport(status="error", warmed=False, detail={"body": repr(payload)[:200]})
    detail = payload.get("detail")
    return HealthReport(
        status=str(payload.get("status", "error")),
        warmed=payload.get("warmed") is True,
        detail=detail if isinstance(detail, dict) else {},
    )
