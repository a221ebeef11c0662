"""The one way the node calls a service: pick, start on demand, lease, deadline, typed
request and answer, classification by ErrorCategory, failover, cooldown, and the way the
request goes (this machine or a cloud backend: one mechanism, the cloud is one more kind of
target).

`call(service_type, languages, request, answer, deadline=...)` sends `request` (a typed
`ServiceRequest`, which names its endpoint and carries the time left in `deadline_ms`) to
the best target that serves every language asked for, and decodes the answer into
`answer` (a pydantic model, or a type with `from_http(content, headers)`). Without a
`route` only local services are asked; with one (routing.route_rules.decide), the targets
of its first way, then of the next. Which target is asked is `service_choice.choose`. One
that fails is cooled down (`target_cooldown`): skipped while others can answer. Bad input is
raised at once and never failed over; every other failure moves on until one answers or the
deadline passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from voxnode.contracts.errors import BusyError, ErrorCategory, VoxnodeError
from voxnode.contracts.languages import language_code
from voxnode.contracts.node_settings import PipelineSettings
from voxnode.contracts.repair import ReasonCode
from voxnode.contracts.routing_settings import RoutingSettings
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_request import ServiceRequest
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.contracts.service_status import ServiceState
from voxnode.pipeline import cloud_transport
from voxnode.pipeline.cloud_targets import CloudTarget, CloudTargets, stream_error
from voxnode.pipeline.pipeline_metrics import PipelineMetrics
from voxnode.pipeline.service_choice import Candidate, choose
from voxnode.pipeline.service_host import ServiceHost
from voxnode.pipeline.service_replies import (
    Reply,
    ServiceCallError,
    StreamReply,
    decode,
    error_of,
    open_stream,
)
from voxnode.pipeline.target_cooldown import TargetCooldown
from voxnode.routing.route_rules import Route, RouteDecision

log = logging.getLogger(__name__)

FALLBACK_SUBTYPE = "fallback"
"""A service of last resort (tts-espeak): asked only when no primary one can answer."""
RETRY_PAUSE_S = 0.25
"""Before a service that failed this call is asked again (a restart takes at least this)."""
LATENCY_WEIGHT = 0.3
"""Weight of the newest sample in each target's latency average."""

BUSY = BusyError.code


def _busy(error: BusyError) -> ServiceCallError:
    """A full queue: asked again in this call only if nothing else answers."""
    return ServiceCallError(
        error.message, code=BUSY, category=ErrorCategory.TRANSIENT, answered=True,
        retry_after_s=error.retry_after_s,
    )  # fmt: skip


T = TypeVar("T")
R = TypeVar("R")
Select = Callable[[ServiceSpec], bool]
"""Narrows the services of a type further (for example: only normalisers)."""


Target = ServiceSpec | CloudTarget


class ServiceClient:
    def __init__(
        self, host: ServiceHost, settings: PipelineSettings, metrics: PipelineMetrics, *,
        routing: RoutingSettings | None = None,
    ):  # fmt: skip
        self._host = host
        self._settings = settings
        self._metrics = metrics
        self._routing = routing or RoutingSettings()
        self._http = httpx.AsyncClient(trust_env=False, timeout=None)  # deadlines rule
        self._latency_ms: dict[str, float] = {}
        self._clouds = CloudTargets(lambda: self._routing.cloud)
        self._cooldown = TargetCooldown(host, settings, self._http, lambda: self._routing.cloud)

    @property
    def routing(self) -> RoutingSettings:
        return self._routing

    @routing.setter
    def routing(self, routing: RoutingSettings) -> None:
        """New cloud settings (a reload): what the old ones' backends did no longer counts."""
        self._routing = routing
        self._cooldown.forget_clouds()

    def open(self) -> None:
        self._cooldown.open()

    async def close(self) -> None:
        await self._cooldown.close()
        await self._http.aclose()

    def serving(
        self, service_type: ServiceType, languages: list[str], select: Select | None = None
    ) -> list[ServiceSpec]:
        """Installed services of the type that serve every language asked for."""
        wanted = {language_code(x) for x in languages}
        return [
            spec
            for spec in self._host.specs_of_type(service_type)
            if wanted <= set(spec.manifest.languages) and (select is None or select(spec))
        ]

    def clouds(self, request: ServiceRequest, languages: list[str]) -> list[CloudTarget]:
        """The cloud backends that serve this request's stage and languages."""
        return self._clouds.serving(request, languages)

    def cooling(self, service_id: str) -> bool:
        return self._cooldown.cooling(service_id)

    async def call(
        self,
        service_type: ServiceType,
        languages: list[str],
        request: ServiceRequest,
        answer: type[T],
        *,
        deadline: float,
        select: Select | None = None,
        route: RouteDecision | None = None,
    ) -> Reply[T]:
        """The answer of the best target, failing over until one answers or `deadline`
        (time.monotonic()) passes."""
        groups = self._groups(service_type, languages, request, select, route)
        return await self._failover(
            service_type, groups, deadline,
            lambda target: self._send(target, request, answer, deadline),
        )  # fmt: skip

    async def stream(
        self,
        service_type: ServiceType,
        languages: list[str],
        request: ServiceRequest,
        *,
        deadline: float,
        first_byte_s: float | None = None,
        route: RouteDecision | None = None,
    ) -> StreamReply:
        """A streamed answer (SSE), failing over only until a target has sent its first
        bytes, each attempt bounded by `first_byte_s` (a cloud's own bound at most); a
        half-sent stream is never replayed."""
        groups = self._groups(service_type, languages, request, None, route)
        return await self._failover(
            service_type, groups, deadline,
            lambda target: self._open_stream(target, request, deadline, first_byte_s),
        )  # fmt: skip

    async def call_each(
        self, service_type: ServiceType, request: ServiceRequest, answer: type[T], *,
        deadline: float,
    ) -> list[Reply[T]]:  # fmt: skip
        """The answers of every ready local service of the type (views such as what each
        model host holds); one that fails is left out."""
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

    def _groups(
        self, service_type: ServiceType, languages: list[str], request: ServiceRequest,
        select: Select | None, route: RouteDecision | None,
    ) -> list[list[Target]]:  # fmt: skip
        local: list[Target] = list(self.serving(service_type, languages, select))
        if route is None:
            groups = [local]
        else:
            cloud: list[Target] = list(self.clouds(request, languages))
            by_route = {Route.LOCAL: local, Route.CLOUD: cloud}
            groups = [by_route[way] for way in route.order]
        if not any(groups):
            raise ServiceCallError(
                f"no installed {service_type.value} service serves {languages}",
                code=ReasonCode.NOT_INSTALLED_OR_UNSUPPORTED_LANG,
                category=ErrorCategory.PERMANENT,
            )
        return groups

    async def _failover(
        self,
        service_type: ServiceType,
        groups: list[list[Target]],
        deadline: float,
        attempt: Callable[[Target], Awaitable[R]],
    ) -> R:
        """`attempt` on the best target of the first group, then the next, then the next
        group's, until one succeeds or `deadline` passes. Bad input is raised at once; a
        target that answered with an error is not asked again in this call; a timeout of
        the whole deadline ends the call."""
        tried: set[str] = set()
        refused: set[str] = set()
        last, last_code = "no service became ready", str(ReasonCode.SERVICE_NOT_AVAILABLE)
        permanent = False
        retry_after_s = 0.0
        for group in groups:
            while (remaining := deadline - time.monotonic()) > 0:
                target = await self._next(
                    [t for t in group if t.service_id not in refused], tried, remaining
                )
                if target is None:
                    break
                if tried:
                    self._metrics.failovers.labels(service_type.value).inc()
                tried.add(target.service_id)
                try:
                    return await attempt(target)
                except ServiceCallError as exc:
                    if exc.category is ErrorCategory.BAD_INPUT:
                        raise
                    last, last_code = f"{target.service_id}: {exc.message}", exc.code
                    permanent = exc.category is ErrorCategory.PERMANENT
                    retry_after_s = exc.retry_after_s
                    if exc.code != BUSY:  # busy is not broken: it stays first choice
                        self._cool(target, exc)
                    if exc.answered:
                        refused.add(target.service_id)
                    if exc.code == ReasonCode.TIMEOUT:
                        break
        late = time.monotonic() >= deadline
        raise ServiceCallError(
            f"no {service_type.value} service answered ({last})",
            code=ReasonCode.TIMEOUT if late else last_code,
            # the last refusal was for good (a wrong API key): saying so stops a retry storm
            category=ErrorCategory.PERMANENT if permanent and not late else ErrorCategory.TRANSIENT,
            status=502 if permanent and not late else 503,
            retry_after_s=0.0 if late else retry_after_s,
        )

    def _candidate(self, target: Target, tried: set[str]) -> Candidate:
        sid = target.service_id
        if isinstance(target, CloudTarget):
            away = self._cooldown.away(sid)
            return Candidate(
                service_id=sid, state=ServiceState.FAILED if away else ServiceState.READY,
                inflight=self._clouds.inflight(sid), latency_ms=self._latency_ms.get(sid, 0.0),
                cooling=self.cooling(sid), tried=sid in tried,
            )  # fmt: skip
        runtime = self._host.supervisor.status(sid)
        return Candidate(
            service_id=sid, state=runtime.state,
            fallback=target.manifest.subtype == FALLBACK_SUBTYPE, inflight=runtime.inflight,
            latency_ms=self._latency_ms.get(sid, 0.0), cooling=self.cooling(sid),
            restarting=runtime.restarting, tried=sid in tried,
        )  # fmt: skip

    async def _next(self, group: list[Target], tried: set[str], remaining: float) -> Target | None:
        by_id = {target.service_id: target for target in group}
        choice = choose([self._candidate(target, tried) for target in group])
        if choice.ready is not None:
            return by_id[choice.ready]
        if choice.pause_first:
            await asyncio.sleep(min(RETRY_PAUSE_S, remaining))
        wait_s = min(self._settings.on_demand_wait_s, remaining - RETRY_PAUSE_S)
        for service_id in choice.wait_for:
            if isinstance(by_id[service_id], CloudTarget):
                continue  # a cloud has nothing to start
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
        self, target: Target, request: ServiceRequest, answer: type[T], deadline: float
    ) -> Reply[T]:
        started = time.monotonic()
        if isinstance(target, CloudTarget):
            body_out = await self._clouds.call(target, cloud_transport.send(
                self._http, target.backend, request, answer, deadline
            ))  # fmt: skip
            return self._answered(target, body_out, started, Route.CLOUD)
        body = _local_body(request, deadline)
        try:
            async with (
                self._host.supervisor.lease(target.service_id) as proc,
                asyncio.timeout(deadline - started),
            ):
                response = await self._http.post(proc.url + request.endpoint, json=body)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ServiceCallError(
                "timed out", code=ReasonCode.TIMEOUT, category=ErrorCategory.TRANSIENT
            ) from exc
        except BusyError as exc:
            raise _busy(exc) from exc
        except (httpx.HTTPError, VoxnodeError) as exc:
            raise ServiceCallError(
                f"{type(exc).__name__}: {exc}", code=ReasonCode.SERVICE_ERROR,
                category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        if response.status_code >= 400:
            raise error_of(response)
        return self._answered(target, decode(answer, response), started, Route.LOCAL)

    async def _open_stream(
        self, target: Target, request: ServiceRequest, deadline: float,
        first_byte_s: float | None,
    ) -> StreamReply:  # fmt: skip
        resources = contextlib.AsyncExitStack()
        if isinstance(target, CloudTarget):
            backend = target.backend
            bound = min(
                first_byte_s or backend.first_token_timeout_s, backend.first_token_timeout_s
            )
            body = cloud_transport.cloud_body(backend, request)  # type: ignore[arg-type]
            reply = await self._clouds.call(target, open_stream(
                self._http, backend.base_url.rstrip("/") + request.endpoint.removeprefix("/v1"),
                body, service_id=target.service_id, headers=cloud_transport.headers(backend),
                deadline=deadline, first_byte_s=bound, resources=resources, route=Route.CLOUD,
                check=lambda response: stream_error(backend, response),
            ))  # fmt: skip
        else:
            body = _local_body(request, deadline)
            try:
                proc = await resources.enter_async_context(
                    self._host.supervisor.lease(target.service_id)
                )
            except BusyError as exc:
                raise _busy(exc) from exc
            except VoxnodeError as exc:
                raise ServiceCallError(
                    exc.message, code=ReasonCode.SERVICE_ERROR, category=ErrorCategory.TRANSIENT
                ) from exc
            reply = await open_stream(
                self._http, proc.url + request.endpoint, body, service_id=target.service_id,
                headers={}, deadline=deadline, first_byte_s=first_byte_s, resources=resources,
                route=Route.LOCAL, check=error_of,
            )  # fmt: skip
        self._cooldown.answered(target.service_id)
        return reply

    def _answered(self, target: Target, body: T, started: float, route: Route) -> Reply[T]:
        elapsed_ms = (time.monotonic() - started) * 1000
        sid = target.service_id
        previous = self._latency_ms.get(sid, elapsed_ms)
        self._latency_ms[sid] = (1 - LATENCY_WEIGHT) * previous + LATENCY_WEIGHT * elapsed_ms
        self._cooldown.answered(sid)
        return Reply(body, sid, elapsed_ms, route)

    def _cool(self, target: Target, error: ServiceCallError) -> None:
        log.warning("%s cooled down after a failed request (%s)", target.service_id, error.code)
        cloud = target.backend if isinstance(target, CloudTarget) else None
        self._cooldown.cool(target.service_id, cloud=cloud, retry_after_s=error.retry_after_s)


def _local_body(request: ServiceRequest, deadline: float) -> dict[str, Any]:
    """The request as JSON, carrying the time it has left (`deadline_ms`)."""
    budget = max(1, int((deadline - time.monotonic()) * 1000))
    return request.model_copy(update={"deadline_ms": budget}).model_dump(
        mode="json", exclude_none=True, by_alias=True
    )
