"""Which service of a type answers, and failover when it does not.

Order: ready before anything else, primary before fallback (subtype "fallback"), then least
loaded, then lowest recent latency. A service that fails a request is cooled down: skipped
while others can answer, and brought back when it is ready again (the supervisor restarted
it, or a background /health probe says ok). When nothing is ready, a stopped service is
started on demand and waited for, within the stage's deadline. Bad input (4xx with category
bad_input) is not a service failure: it is raised at once, never failed over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import httpx

from voxnode.contracts.errors import ErrorCategory, VoxnodeError
from voxnode.contracts.node_settings import PipelineSettings
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.contracts.service_status import ServiceState
from voxnode.pipeline.pipeline_metrics import PipelineMetrics
from voxnode.pipeline.repair_router import primary_language
from voxnode.pipeline.service_host import ServiceHost
from voxnode.supervisor.runtime_status import RuntimeStatus

log = logging.getLogger(__name__)

FALLBACK_SUBTYPE = "fallback"
RETRY_PAUSE_S = 0.25
"""Before a service that failed this job is asked again (a restart takes at least this)."""
LATENCY_WEIGHT = 0.3
"""Weight of the newest sample in each service's latency average."""


class StageError(VoxnodeError):
    """A stage could not get an answer; `category` says whether the input was to blame."""

    def __init__(
        self, message: str, *, code: str, category: ErrorCategory, status: int = 503,
        answered: bool = False,
    ):  # fmt: skip
        super().__init__(message, code=code, status=status)
        self.category = category
        self.answered = answered
        """The service was up and answered with an error (not worth asking again now)."""


@dataclass(frozen=True, slots=True)
class Answer:
    response: httpx.Response
    service_id: str
    elapsed_ms: float


class ServicePicker:
    def __init__(self, host: ServiceHost, settings: PipelineSettings, metrics: PipelineMetrics):
        self._host = host
        self._settings = settings
        self._http = httpx.AsyncClient(trust_env=False, timeout=None)  # stage deadlines rule
        self._latency_ms: dict[str, float] = {}
        self._cooling: dict[str, float] = {}
        """service_id -> when it failed."""
        self._metrics = metrics
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

    def serving(self, service_type: ServiceType, languages: list[str]) -> list[ServiceSpec]:
        """Installed services of the type that serve every language asked for."""
        wanted = {primary_language(x) for x in languages}
        return [
            spec
            for spec in self._host.specs_of_type(service_type)
            if wanted <= {primary_language(x) for x in spec.manifest.languages}
        ]

    def cooling(self, service_id: str) -> bool:
        return service_id in self._cooling

    async def post(
        self,
        service_type: ServiceType,
        languages: list[str],
        path: str,
        payload: dict[str, object],
        *,
        deadline: float,
    ) -> Answer:
        """POST to the best service, failing over until one answers or `deadline` passes."""
        group = self.serving(service_type, languages)
        if not group:
            raise StageError(
                f"no installed {service_type.value} service serves {languages}",
                code="SERVICE_NOT_INSTALLED_OR_UNSUPPORTED_LANG",
                category=ErrorCategory.PERMANENT,
            )
        tried: set[str] = set()
        refused: set[str] = set()
        last, last_code = "no service became ready", "SERVICE_NOT_AVAILABLE"
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
                return await self._send(spec, path, payload, deadline)
            except StageError as exc:
                if exc.category is ErrorCategory.BAD_INPUT:
                    raise
                last, last_code = f"{spec.service_id}: {exc.message}", exc.code
                self._cool(spec.service_id)
                if exc.answered:
                    refused.add(spec.service_id)
                if exc.code == "TIMEOUT":
                    break
        raise StageError(
            f"no {service_type.value} service answered ({last})",
            code="TIMEOUT" if time.monotonic() >= deadline else last_code,
            category=ErrorCategory.TRANSIENT,
        )

    # ----- choosing

    def _rank(self, spec: ServiceSpec) -> tuple[int, int, float]:
        runtime = self._host.supervisor.status(spec.service_id)
        fallback = 1 if spec.manifest.subtype == FALLBACK_SUBTYPE else 0
        return fallback, runtime.inflight, self._latency_ms.get(spec.service_id, 0.0)

    async def _next(
        self, group: list[ServiceSpec], tried: set[str], remaining: float
    ) -> ServiceSpec | None:
        """A ready, untried, warm service; else one started on demand (or restarting)."""
        supervisor = self._host.supervisor
        fresh = [s for s in group if s.service_id not in tried]
        state = {s.service_id: supervisor.status(s.service_id).state for s in group}
        ready = [s for s in fresh if state[s.service_id] is ServiceState.READY]
        warm = [s for s in ready if not self.cooling(s.service_id)]
        if warm or ready:
            return min(warm or ready, key=self._rank)
        waiting = (ServiceState.STARTING, ServiceState.STOPPED)
        startable = [s for s in fresh if state[s.service_id] in waiting]
        startable.sort(
            key=lambda s: (state[s.service_id] is not ServiceState.STARTING, self._rank(s))
        )
        # Then the ones that already failed this job, once the supervisor had time to notice
        # a dead process and restart it.
        again = [
            s
            for s in group
            if s.service_id in tried and state[s.service_id] is not ServiceState.FAILED
        ]
        if not startable and again:
            await asyncio.sleep(min(RETRY_PAUSE_S, remaining))
        wait_s = min(self._settings.on_demand_wait_s, remaining - RETRY_PAUSE_S)
        for spec in [*startable, *again]:
            try:
                await supervisor.ensure_ready(spec.service_id, timeout_s=max(wait_s, 0.001))
            except VoxnodeError as exc:
                log.info("%s not available on demand: %s", spec.service_id, exc.message)
                continue
            tried.discard(spec.service_id)
            return spec
        return None

    # ----- calling

    async def _send(
        self, spec: ServiceSpec, path: str, payload: dict[str, object], deadline: float
    ) -> Answer:
        started = time.monotonic()
        budget = {"deadline_ms": max(1, int((deadline - started) * 1000))}
        try:
            async with (
                self._host.supervisor.lease(spec.service_id) as proc,
                asyncio.timeout(deadline - started),
            ):
                response = await self._http.post(proc.url + path, json={**payload, **budget})
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise StageError("timed out", code="TIMEOUT", category=ErrorCategory.TRANSIENT) from exc
        except (httpx.HTTPError, VoxnodeError) as exc:
            raise StageError(
                f"{type(exc).__name__}: {exc}", code="SERVICE_ERROR",
                category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        elapsed_ms = (time.monotonic() - started) * 1000
        if response.status_code >= 400:
            raise _error_of(response)
        previous = self._latency_ms.get(spec.service_id, elapsed_ms)
        self._latency_ms[spec.service_id] = (
            1 - LATENCY_WEIGHT
        ) * previous + LATENCY_WEIGHT * elapsed_ms
        self._cooling.pop(spec.service_id, None)
        return Answer(response, spec.service_id, elapsed_ms)

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
        runtime = self._host.supervisor.status(service_id)
        if runtime.state is not ServiceState.READY or runtime.url is None:
            return False
        spec = self._host.supervisor.spec(service_id)
        try:
            answer = await self._http.get(runtime.url + spec.manifest.health.path, timeout=2.0)
            body = answer.json()
        except (httpx.HTTPError, ValueError):
            return False
        return answer.status_code == 200 and body.get("status") == "ok" and bool(body.get("warmed"))


def _error_of(response: httpx.Response) -> StageError:
    """The service's ErrorBody when it sent one; otherwise judged by the HTTP status."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        category = ErrorCategory(error["category"])
    except (ValueError, KeyError, TypeError):
        code, message = f"HTTP_{response.status_code}", response.text[:300]
        client_fault = 400 <= response.status_code < 500 and response.status_code not in (404, 429)
        category = ErrorCategory.BAD_INPUT if client_fault else ErrorCategory.TRANSIENT
    status = response.status_code if category is ErrorCategory.BAD_INPUT else 503
    return StageError(message, code=code, category=category, status=status, answered=True)
