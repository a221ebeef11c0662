"""The one way the node calls a service: pick, start on demand, lease, deadline, typed
request and answer, classification by ErrorCategory, failover, cooldown.

`call(service_type, languages, request, answer, deadline=...)` sends `request` (a typed
`ServiceRequest`, which names its endpoint and carries the time left in `deadline_ms`) to
the best installed service of the type that serves every language asked for, and decodes
the answer into `answer` (a pydantic model, or a type with `from_http(content, headers)`).
Which service is asked is `service_choice.choose`. A service that fails is cooled down:
skipped while others can answer, back when it is ready again (the supervisor restarted it)
or when a background /health probe finds it ready (the supervisor's readiness rule). Bad
input (an answer with category bad_input) is raised at once and never failed over; every
other failure moves on to the next service until one answers or the deadline passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from voxnode.contracts.errors import ErrorCategory, VoxnodeError
from voxnode.contracts.languages import language_code
from voxnode.contracts.node_settings import PipelineSettings
from voxnode.contracts.repair import ReasonCode
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_request import ServiceRequest
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.contracts.service_status import ServiceState
from voxnode.pipeline.pipeline_metrics import PipelineMetrics
from voxnode.pipeline.service_choice import Candidate, choose
from voxnode.pipeline.service_host import ServiceHost
from voxnode.supervisor.health_report import parse_health
from voxnode.supervisor.runtime_status import RuntimeStatus

log = logging.getLogger(__name__)

FALLBACK_SUBTYPE = "fallback"
"""A service of last resort (tts-espeak): asked only when no primary one can answer."""
RETRY_PAUSE_S = 0.25
"""Before a service that failed this call is asked again (a restart takes at least this)."""
FIRST_BYTE_TIMEOUT = "FIRST_BYTE_TIMEOUT"
"""A stream that did not start within its bound: the next service is asked."""
LATENCY_WEIGHT = 0.3
"""Weight of the newest sample in each service's latency average."""

T = TypeVar("T")
R = TypeVar("R")
Select = Callable[[ServiceSpec], bool]
"""Narrows the services of a type further (for example: only normalisers)."""


class FromHttp(Protocol):
    @classmethod
    def from_http(cls, content: bytes, headers: Mapping[str, str]) -> Any: ...


class ServiceCallError(VoxnodeError):
    """No service gave an answer; `category` says whether the input was to blame."""

    def __init__(
        self, message: str, *, code: str, category: ErrorCategory, status: int = 503,
        answered: bool = False,
    ):  # fmt: skip
        super().__init__(message, code=code, status=status)
        self.category = category
        self.answered = answered
        """The service was up and answered with an error (not worth asking again now)."""


@dataclass(frozen=True, slots=True)
class Reply(Generic[T]):
    body: T
    service_id: str
    elapsed_ms: float


@dataclass(slots=True)
class StreamReply:
    """A streamed answer that has begun: its first bytes came, the rest follow as they come.
    Iterate it once; the service's lease is held until the iteration ends."""

    service_id: str
    first: bytes
    rest: AsyncIterator[bytes]
    resources: contextlib.AsyncExitStack
    deadline: float

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            yield self.first
            rest = self.rest
            while True:
                async with asyncio.timeout(max(self.deadline - time.monotonic(), 0)):
                    chunk = await anext(rest, None)
                if chunk is None:
                    return
                yield chunk
        except (TimeoutError, httpx.HTTPError) as exc:
            log.warning("%s: stream broke off: %s", self.service_id, exc)
            raise ServiceCallError(
                f"{self.service_id} stopped in the middle of its answer ({type(exc).__name__})",
                code="STREAM_BROKEN", category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        finally:
            await self.resources.aclose()


class ServiceClient:
    def __init__(self, host: ServiceHost, settings: PipelineSettings, metrics: PipelineMetrics):
        self._host = host
        self._settings = settings
        self._metrics = metrics
        self._http = httpx.AsyncClient(trust_env=False, timeout=None)  # deadlines rule
        self._latency_ms: dict[str, float] = {}
        self._cooling: dict[str, float] = {}
        """service_id -> when it failed."""
        self._probe: asyncio.Task[None] | None = None
        host.supervisor.add_listener(self._on_status)

    def open(self) -> None:
        self._probe = asyncio.get_running_loop().create_task(self._probe_loop())

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        await self._http.aclose()

    def serving(
        self, service_type: ServiceType, languages: list[str], select: Select | None = None
    ) -> list[ServiceSpec]:
        """Installed services of the type that serve every language asked for."""
        wanted = {language_code(x) for x in languages}
        return [
            spec
            for spec in self._host.specs_of_type(service_type)
            if wanted <= {language_code(x) for x in spec.manifest.languages}
            and (select is None or select(spec))
        ]

    def cooling(self, service_id: str) -> bool:
        return service_id in self._cooling

    async def call(
        self,
        service_type: ServiceType,
        languages: list[str],
        request: ServiceRequest,
        answer: type[T],
        *,
        deadline: float,
        select: Select | None = None,
    ) -> Reply[T]:
        """The answer of the best service, failing over until one answers or `deadline`
        (time.monotonic()) passes."""
        return await self._failover(
            service_type, self._group(service_type, languages, select), deadline,
            lambda spec: self._send(spec, request, answer, deadline),
        )  # fmt: skip

    async def stream(
        self,
        service_type: ServiceType,
        languages: list[str],
        request: ServiceRequest,
        *,
        deadline: float,
        first_byte_s: float | None = None,
    ) -> StreamReply:
        """A streamed answer (SSE), failing over only until a service has sent its first
        bytes, each attempt bounded by `first_byte_s`; a half-sent stream is never replayed."""
        return await self._failover(
            service_type, self._group(service_type, languages, None), deadline,
            lambda spec: self._open_stream(spec, request, deadline, first_byte_s),
        )  # fmt: skip

    async def call_each(
        self, service_type: ServiceType, request: ServiceRequest, answer: type[T], *,
        deadline: float,
    ) -> list[Reply[T]]:  # fmt: skip
        """The answers of every ready service of the type (views such as what each model
        host holds); one that fails is left out."""
        supervisor = self._host.supervisor
        ready = [
            spec for spec in self.serving(service_type, [])
            if supervisor.status(spec.service_id).state is ServiceState.READY
        ]  # fmt: skip
        replies = await asyncio.gather(
            *(self._send(spec, request, answer, deadline) for spec in ready),
            return_exceptions=True,
        )
        return [reply for reply in replies if isinstance(reply, Reply)]

    # ----- choosing

    def _group(
        self, service_type: ServiceType, languages: list[str], select: Select | None
    ) -> list[ServiceSpec]:
        group = self.serving(service_type, languages, select)
        if not group:
            raise ServiceCallError(
                f"no installed {service_type.value} service serves {languages}",
                code=ReasonCode.NOT_INSTALLED_OR_UNSUPPORTED_LANG,
                category=ErrorCategory.PERMANENT,
            )
        return group

    async def _failover(
        self,
        service_type: ServiceType,
        group: list[ServiceSpec],
        deadline: float,
        attempt: Callable[[ServiceSpec], Awaitable[R]],
    ) -> R:
        """`attempt` on the best service, then the next, until one succeeds or `deadline`
        passes. Bad input is raised at once; a service that answered with an error is not
        asked again in this call; a timeout ends the call."""
        tried: set[str] = set()
        refused: set[str] = set()
        last, last_code = "no service became ready", str(ReasonCode.SERVICE_NOT_AVAILABLE)
        while (remaining := deadline - time.monotonic()) > 0:
            spec = await self._next(
                [s for s in group if s.service_id not in refused], tried, remaining
            )
            if spec is None:
                break
            if tried:
                self._metrics.failovers.labels(service_type.value).inc()
            tried.add(spec.service_id)
            try:
                return await attempt(spec)
            except ServiceCallError as exc:
                if exc.category is ErrorCategory.BAD_INPUT:
                    raise
                last, last_code = f"{spec.service_id}: {exc.message}", exc.code
                self._cool(spec.service_id)
                if exc.answered:
                    refused.add(spec.service_id)
                if exc.code == ReasonCode.TIMEOUT:
                    break
        raise ServiceCallError(
            f"no {service_type.value} service answered ({last})",
            code=ReasonCode.TIMEOUT if time.monotonic() >= deadline else last_code,
            category=ErrorCategory.TRANSIENT,
        )

    def _candidate(self, spec: ServiceSpec, tried: set[str]) -> Candidate:
        runtime = self._host.supervisor.status(spec.service_id)
        return Candidate(
            service_id=spec.service_id, state=runtime.state,
            fallback=spec.manifest.subtype == FALLBACK_SUBTYPE, inflight=runtime.inflight,
            latency_ms=self._latency_ms.get(spec.service_id, 0.0),
            cooling=self.cooling(spec.service_id), restarting=runtime.restarting,
            tried=spec.service_id in tried,
        )  # fmt: skip

    async def _next(
        self, group: list[ServiceSpec], tried: set[str], remaining: float
    ) -> ServiceSpec | None:
        by_id = {spec.service_id: spec for spec in group}
        choice = choose([self._candidate(spec, tried) for spec in group])
        if choice.ready is not None:
            return by_id[choice.ready]
        if choice.pause_first:
            await asyncio.sleep(min(RETRY_PAUSE_S, remaining))
        wait_s = min(self._settings.on_demand_wait_s, remaining - RETRY_PAUSE_S)
        for service_id in choice.wait_for:
            try:
                await self._host.supervisor.ensure_ready(service_id, timeout_s=max(wait_s, 0.001))
            except VoxnodeError as exc:
                log.info("%s not available on demand: %s", service_id, exc.message)
                continue
            tried.discard(service_id)
            return by_id[service_id]
        return None

    # ----- calling

    async def _send(
        self, spec: ServiceSpec, request: ServiceRequest, answer: type[T], deadline: float
    ) -> Reply[T]:
        started = time.monotonic()
        budget = max(1, int((deadline - started) * 1000))
        body = request.model_copy(update={"deadline_ms": budget}).model_dump(
            mode="json", exclude_none=True, by_alias=True
        )
        try:
            async with (
                self._host.supervisor.lease(spec.service_id) as proc,
                asyncio.timeout(deadline - started),
            ):
                response = await self._http.post(proc.url + request.endpoint, json=body)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ServiceCallError(
                "timed out", code=ReasonCode.TIMEOUT, category=ErrorCategory.TRANSIENT
            ) from exc
        except (httpx.HTTPError, VoxnodeError) as exc:
            raise ServiceCallError(
                f"{type(exc).__name__}: {exc}", code=ReasonCode.SERVICE_ERROR,
                category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        elapsed_ms = (time.monotonic() - started) * 1000
        if response.status_code >= 400:
            raise error_of(response)
        body_out = decode(answer, response)
        previous = self._latency_ms.get(spec.service_id, elapsed_ms)
        self._latency_ms[spec.service_id] = (
            1 - LATENCY_WEIGHT
        ) * previous + LATENCY_WEIGHT * elapsed_ms
        self._cooling.pop(spec.service_id, None)
        return Reply(body_out, spec.service_id, elapsed_ms)

    async def _open_stream(
        self,
        spec: ServiceSpec,
        request: ServiceRequest,
        deadline: float,
        first_byte_s: float | None,
    ) -> StreamReply:
        started = time.monotonic()
        body = request.model_copy(
            update={"deadline_ms": max(1, int((deadline - started) * 1000))}
        ).model_dump(mode="json", exclude_none=True, by_alias=True)
        limit = min(deadline, started + first_byte_s) if first_byte_s else deadline
        resources = contextlib.AsyncExitStack()
        try:
            proc = await resources.enter_async_context(self._host.supervisor.lease(spec.service_id))
            async with asyncio.timeout(limit - started):
                sent = self._http.build_request("POST", proc.url + request.endpoint, json=body)
                response = await self._http.send(sent, stream=True)
                resources.push_async_callback(response.aclose)
                if response.status_code >= 400:
                    await response.aread()
                    raise error_of(response)
                rest = response.aiter_raw()
                first = await anext(rest, b"")
        except ServiceCallError:
            await resources.aclose()
            raise
        except (TimeoutError, httpx.TimeoutException) as exc:
            await resources.aclose()
            stalled = limit < deadline  # its own first-byte bound, not the call's deadline
            raise ServiceCallError(
                f"no first byte within {limit - started:.1f} s",
                code=FIRST_BYTE_TIMEOUT if stalled else ReasonCode.TIMEOUT,
                category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        except (httpx.HTTPError, VoxnodeError) as exc:
            await resources.aclose()
            raise ServiceCallError(
                f"{type(exc).__name__}: {exc}", code=ReasonCode.SERVICE_ERROR,
                category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        self._cooling.pop(spec.service_id, None)
        return StreamReply(spec.service_id, first, rest, resources, deadline)

    # ----- cooldown and recovery

    def _cool(self, service_id: str) -> None:
        log.warning("%s cooled down after a failed request", service_id)
        self._cooling[service_id] = time.monotonic()

    def _on_status(self, runtime: RuntimeStatus) -> None:
        """A service that (re)became ready after failing is back."""
        if runtime.state is ServiceState.READY:
            self._cooling.pop(runtime.service_id, None)

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.probe_interval_s)
            now = time.monotonic()
            for service_id, since in list(self._cooling.items()):
                if now - since >= self._settings.cooldown_s and await self._healthy(service_id):
                    log.info("%s is back after a cooldown", service_id)
                    self._cooling.pop(service_id, None)

    async def _healthy(self, service_id: str) -> bool:
        supervisor = self._host.supervisor
        if not supervisor.has(service_id):
            self._cooling.pop(service_id, None)
            return False
        runtime = supervisor.status(service_id)
        if runtime.state is not ServiceState.READY or runtime.url is None:
            return False
        path = supervisor.spec(service_id).manifest.health.path
        try:
            response = await self._http.get(runtime.url + path, timeout=2.0)
            return response.status_code == 200 and parse_health(response.json()).ready
        except (httpx.HTTPError, ValueError):
            return False


def decode(answer: type[T], response: httpx.Response) -> T:
    """The answer as `answer`; one outside the contract is the service's failure."""
    try:
        from_http = getattr(answer, "from_http", None)
        if from_http is not None:
            decoded: T = from_http(response.content, response.headers)
            return decoded
        assert issubclass(answer, BaseModel)
        return answer.model_validate_json(response.content)
    except (ValidationError, ValueError) as exc:
        raise ServiceCallError(
            f"answer outside the contract: {exc}", code="BAD_ANSWER",
            category=ErrorCategory.TRANSIENT, answered=True,
        ) from exc  # fmt: skip


def error_of(response: httpx.Response) -> ServiceCallError:
    """The service's ErrorBody when it sent one; otherwise the HTTP status gives the
    category (a 4xx other than 404 and 429 blames the input)."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        category = ErrorCategory(error["category"])
    except (ValueError, KeyError, TypeError):
        code, message = f"HTTP_{response.status_code}", response.text[:300]
        client_fault = 400 <= response.status_code < 500 and response.status_code not in (404, 429)
        category = ErrorCategory.BAD_INPUT if client_fault else ErrorCategory.TRANSIENT
    status = response.status_code if category is ErrorCategory.BAD_INPUT else 503
    return ServiceCallError(message, code=code, category=category, status=status, answered=True)
