"""The HTTP face every repair service shares (contracts 2 and 3).

A service supplies a `Repairer`; this module gives it /health (ok and warmed only after a
real repair went through `repair()`), /info, and POST /v1/repair with: request validation
(400 in the ErrorBody shape), 503 until warmed, protected terms from config and request
(`meta.glossary`), the REJECT rules when enabled, and the deadline: past it the answer is
PASS with TIMEOUT, never a late repair.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from voxnode.contracts.errors import BadInputError, NotReadyError, VoxnodeError
from voxnode.contracts.repair import Decision, RepairRequest, RepairResponse
from voxnode.services.common.deadline import DeadlineExceeded
from voxnode.services.common.reject_rules import reject_reason
from voxnode.services.common.repair_settings import RepairServiceSettings

log = logging.getLogger(__name__)


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


class _State:
    def __init__(self) -> None:
        self.status = "loading"
        self.warmed = False
        self.error: str | None = None
        self.load_s: float | None = None
        self.served = 0
        self.timeouts = 0


def create_repair_app(
    repairer: Repairer, settings: RepairServiceSettings, *, manifest: dict[str, Any] | None = None
) -> FastAPI:
    state = _State()
    glossary = settings.glossary_terms()
    gate = asyncio.Semaphore(settings.max_concurrency)

    def load() -> None:
        started = time.monotonic()
        try:
            repairer.load()
            warm = repairer.warm_up_request()
            repairer.repair(warm, protected=glossary, deadline=time.monotonic() + 60)
        except Exception as exc:
            log.exception("%s failed to load", repairer.name)
            state.status, state.error = "error", f"{type(exc).__name__}: {exc}"
            return
        state.load_s = round(time.monotonic() - started, 3)
        state.status, state.warmed = "ok", True
        log.info("%s ready in %.1f s", repairer.name, state.load_s)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=load, name="load", daemon=True).start()
        yield

    app = FastAPI(title=repairer.name, lifespan=lifespan)

    @app.exception_handler(VoxnodeError)
    async def _voxnode_error(_: Request, exc: VoxnodeError) -> JSONResponse:
        return JSONResponse(exc.body().model_dump(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        error = BadInputError(f"invalid repair request: {exc.errors()[:3]}", code="BAD_REQUEST")
        return JSONResponse(error.body().model_dump(), status_code=400)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        detail: dict[str, Any] = {
            "load_s": state.load_s,
            "served": state.served,
            "timeouts": state.timeouts,
        }
        if state.error:
            detail["error"] = state.error
        return {"status": state.status, "warmed": state.warmed, "detail": detail}

    @app.get("/info")
    async def info() -> dict[str, Any]:
        return {
            "manifest": manifest,
            "service": repairer.name,
            "pid": os.getpid(),
            "glossary_terms": len(glossary),
            "reject_enabled": settings.reject_enabled,
            **(repairer.info() if state.warmed else {}),
        }

    @app.post("/v1/repair")
    async def repair(request: RepairRequest) -> RepairResponse:
        if not state.warmed:
            raise NotReadyError(f"{repairer.name} is {state.status}", code="NOT_READY")
        started = time.monotonic()
        budget_s = (request.deadline_ms or settings.deadline_ms) / 1000
        deadline = started + budget_s
        protected = glossary + _request_glossary(request)
        answer = await _answer(request, protected, deadline)
        answer.process_time_ms = round((time.monotonic() - started) * 1000, 3)
        state.served += 1
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
            async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                async with gate:
                    return await asyncio.to_thread(call)
        except (TimeoutError, DeadlineExceeded):
            state.timeouts += 1
            return RepairResponse.passed(request.text_in, "TIMEOUT")

    return app


def _request_glossary(request: RepairRequest) -> list[str]:
    terms = (request.meta or {}).get("glossary") or []
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise BadInputError("meta.glossary must be a list of strings", code="BAD_GLOSSARY")
    return terms


def serve(app: FastAPI) -> None:
    """Listen on 127.0.0.1:$PORT (the supervisor's choice), as contract 1 requires."""
    import uvicorn

    port = int(os.environ.get("PORT", "0"))
    host = os.environ.get("VOXNODE_SERVICE_HOST", "127.0.0.1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(app, host=host, port=port, log_level="warning", workers=1)
