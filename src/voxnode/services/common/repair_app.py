"""The HTTP face every repair service shares (contracts 2 and 3).

A service supplies a `Repairer`; this module gives it /health (ok and warmed only after a
real repair went through `repair()`), /info, and POST /v1/repair with: request validation
(400 in the ErrorBody shape), 503 until warmed, protected terms from config and request
(`meta.glossary`), the REJECT rules when enabled, and the deadline: past it the answer is
PASS with TIMEOUT, never a late repair.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Protocol

from fastapi import FastAPI

from voxnode.contracts.errors import BadInputError, DeadlineError
from voxnode.contracts.repair import Decision, RepairRequest, RepairResponse
from voxnode.services.common.model_app import ModelApp
from voxnode.services.common.reject_rules import reject_reason
from voxnode.services.common.repair_settings import RepairServiceSettings


class Repairer(Protocol):
    name: str

    def load(self) -> None:
        """Read models and data (seconds); called once, off the event loop."""

    def warm_up_request(self) -> RepairRequest:
        """A request that exercises the real path; /health says warmed after it."""

    def repair(
        self, request: RepairRequest, *, protected: list[str], deadline: float
    ) -> RepairResponse:
        """Answer before `deadline` (time.monotonic()), or raise DeadlineExceeded."""

    def info(self) -> dict[str, Any]: ...


class _RepairWorker:
    """A Repairer seen as a model worker: its warm-up is a real repair."""

    def __init__(self, repairer: Repairer, settings: RepairServiceSettings, glossary: list[str]):
        self.repairer, self.settings, self.glossary = repairer, settings, glossary
        self.name = repairer.name

    def load(self) -> None:
        self.repairer.load()

    def warm_up(self) -> None:
        warm = self.repairer.warm_up_request()
        self.repairer.repair(warm, protected=self.glossary, deadline=time.monotonic() + 60)

    def info(self) -> dict[str, Any]:
        return {
            "glossary_terms": len(self.glossary),
            "reject_enabled": self.settings.reject_enabled,
            **self.repairer.info(),
        }


def create_repair_app(
    repairer: Repairer, settings: RepairServiceSettings, *, manifest: dict[str, Any] | None = None
) -> FastAPI:
    glossary = settings.glossary_terms()
    model = ModelApp(
        _RepairWorker(repairer, settings, glossary),
        max_concurrency=settings.max_concurrency,
        manifest=manifest,
    )

    @model.app.post("/v1/repair")
    async def repair(request: RepairRequest) -> RepairResponse:
        model.require_ready()
        started = time.monotonic()
        deadline = started + (request.deadline_ms or settings.deadline_ms) / 1000
        protected = glossary + _request_glossary(request)
        answer = await _answer(request, protected, deadline)
        answer.process_time_ms = round((time.monotonic() - started) * 1000, 3)
        return answer

    async def _answer(
        request: RepairRequest, protected: list[str], deadline: float
    ) -> RepairResponse:
        if settings.reject_enabled and (reason := reject_reason(request.text_in)):
            return RepairResponse(
                decision=Decision.REJECT, text_out=request.text_in, confidence=0.9,
                reason_codes=[reason],
            )  # fmt: skip
        call = functools.partial(repairer.repair, request, protected=protected, deadline=deadline)
        try:
            return await model.run(call, deadline=deadline)
        except DeadlineError:
            return RepairResponse.passed(request.text_in, "TIMEOUT")

    return model.app


def _request_glossary(request: RepairRequest) -> list[str]:
    terms = (request.meta or {}).get("glossary") or []
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise BadInputError("meta.glossary must be a list of strings", code="BAD_GLOSSARY")
    return terms
