"""The HTTP face every model service shares (contract 2): load, warm up, /health, /info.

A service supplies a `Worker`. The app loads it on a thread at start-up and then runs one
real request through the same code path as users' (`warm_up`); /health says ok and warmed
only after that. Type routes (transcribe, translate, synthesize, repair) are added by the
service and call `ModelApp.run()`, which answers 503 until warmed, runs the blocking call
off the event loop under a concurrency gate, and gives up at the deadline (504).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from voxnode.contracts.errors import BadInputError, DeadlineError, NotReadyError, VoxnodeError
from voxnode.services.common.deadline import DeadlineExceeded

log = logging.getLogger(__name__)
T = TypeVar("T")


class Worker(Protocol):
    name: str

    def load(self) -> None:
        """Read models (seconds); called once, off the event loop."""

    def warm_up(self) -> None:
        """One real request through the user path; /health says warmed after it."""

    def info(self) -> dict[str, Any]: ...


class ModelApp:
    def __init__(
        self, worker: Worker, *, max_concurrency: int = 1, manifest: dict[str, Any] | None = None
    ):
        self.worker = worker
        self.status = "loading"
        self.warmed = False
        self.error: str | None = None
        self.load_s: float | None = None
        self.served = 0
        self.timeouts = 0
        self._gate = asyncio.Semaphore(max_concurrency)
        self.app = self._build(manifest)

    def require_ready(self) -> None:
        if not self.warmed:
            raise NotReadyError(f"{self.worker.name} is {self.status}", code="NOT_READY")

    async def run(self, call: Callable[[], T], *, deadline: float) -> T:
        """`call()` on a thread, at most `max_concurrency` at once; DeadlineError past
        `deadline` (time.monotonic()), whether it was still queued or already running."""
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                async with self.admitted(deadline):
                    result = await asyncio.to_thread(call)
        except (TimeoutError, DeadlineExceeded) as exc:
            self.timeouts += 1
            raise DeadlineError(f"{self.worker.name}: past the request's deadline") from exc
        self.served += 1
        return result

    @contextlib.asynccontextmanager
    async def admitted(self, deadline: float) -> AsyncIterator[None]:
        """Ready, and one of the `max_concurrency` requests running (waiting for a place
        until `deadline`); for routes that stream and so cannot use run()."""
        self.require_ready()
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                await self._gate.acquire()
        except TimeoutError as exc:
            self.timeouts += 1
            raise DeadlineError(f"{self.worker.name}: no free place before the deadline") from exc
        try:
            yield
        finally:
            self._gate.release()

    def _load(self) -> None:
        started = time.monotonic()
        try:
            self.worker.load()
            self.worker.warm_up()
        except Exception as exc:
            log.exception("%s failed to load", self.worker.name)
            self.status, self.error = "error", f"{type(exc).__name__}: {exc}"
            return
        self.load_s = round(time.monotonic() - started, 3)
        self.status, self.warmed = "ok", True
        log.info("%s ready in %.1f s", self.worker.name, self.load_s)

    def _build(self, manifest: dict[str, Any] | None) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            threading.Thread(target=self._load, name="load", daemon=True).start()
            yield
            close = getattr(self.worker, "close", None)  # a worker holding processes ends them
            if close is not None:
                await asyncio.to_thread(close)

        app = FastAPI(title=self.worker.name, lifespan=lifespan)

        @app.exception_handler(VoxnodeError)
        async def _voxnode_error(_: Request, exc: VoxnodeError) -> JSONResponse:
            return JSONResponse(exc.body().model_dump(), status_code=exc.status)

        @app.exception_handler(RequestValidationError)
        async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
            error = BadInputError(f"invalid request: {exc.errors()[:3]}", code="BAD_REQUEST")
            return JSONResponse(error.body().model_dump(), status_code=400)

        @app.get("/health")
        async def health() -> dict[str, Any]:
            detail: dict[str, Any] = {
                "load_s": self.load_s, "served": self.served, "timeouts": self.timeouts,
            }  # fmt: skip
            if self.error:
                detail["error"] = self.error
            return {"status": self.status, "warmed": self.warmed, "detail": detail}

        @app.get("/info")
        async def info() -> dict[str, Any]:
            live = self.worker.info() if self.warmed else {}
            return {"manifest": manifest, "service": self.worker.name, "pid": os.getpid(), **live}

        return app


SERVICE_HOST = "127.0.0.1"
"""Services are reached only by their node: loopback, never a setting (0.0.0.0 would put
an unauthenticated service on the network)."""


def serve(app: FastAPI) -> None:
    """Listen on 127.0.0.1:$PORT (the supervisor's choice), as contract 1 requires."""
    import uvicorn

    port = int(os.environ.get("PORT", "0"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(app, host=SERVICE_HOST, port=port, log_level="warning", workers=1)
