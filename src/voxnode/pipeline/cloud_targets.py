"""The cloud backends as the service client's targets: which of them serve a request, their
calls counted in flight, and their failures as the client's ServiceCallError (the way a local
service's failures are), so that failover treats both kinds alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from voxnode.contracts.errors import ErrorCategory
from voxnode.contracts.languages import language_code
from voxnode.contracts.routing_settings import CloudBackend
from voxnode.contracts.service_request import ServiceRequest
from voxnode.pipeline import cloud_transport
from voxnode.pipeline.cloud_transport import CloudCallError, stage_of
from voxnode.pipeline.service_replies import ServiceCallError
from voxnode.pipeline.target_cooldown import cloud_id

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class CloudTarget:
    backend: CloudBackend

    @property
    def service_id(self) -> str:
        return cloud_id(self.backend)


class CloudTargets:
    def __init__(self, backends: Callable[[], list[CloudBackend]]):
        self._backends = backends
        """The configured backends now (routing settings can be reloaded)."""
        self._inflight: dict[str, int] = {}

    def serving(self, request: ServiceRequest, languages: list[str]) -> list[CloudTarget]:
        """The backends that serve this request's stage and languages."""
        stage = stage_of(request)
        wanted = {language_code(x) for x in languages}
        return [
            CloudTarget(backend)
            for backend in self._backends()
            if stage is not None and stage in backend.stages
            and (not backend.languages or wanted <= {language_code(x) for x in backend.languages})
        ]  # fmt: skip

    def inflight(self, service_id: str) -> int:
        return self._inflight.get(service_id, 0)

    async def call(self, target: CloudTarget, call: Awaitable[R]) -> R:
        """A cloud call, counted in flight, its failures as ServiceCallError."""
        sid = target.service_id
        self._inflight[sid] = self._inflight.get(sid, 0) + 1
        try:
            return await call
        except CloudCallError as exc:
            raise ServiceCallError(
                exc.message, code=exc.code, category=exc.category, answered=True,
                retry_after_s=exc.retry_after_s,
                status=502 if exc.category is ErrorCategory.PERMANENT else 503,
            ) from exc  # fmt: skip
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ServiceCallError(
                f"{sid}: no answer in time", code="CLOUD_TIMEOUT",
                category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        except httpx.HTTPError as exc:
            raise ServiceCallError(
                f"{sid}: {type(exc).__name__}", code="CLOUD_UNREACHABLE",
                category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        finally:
            self._inflight[sid] -= 1


def stream_error(backend: CloudBackend, response: httpx.Response) -> ServiceCallError | None:
    """A cloud's refusal to stream, as the error failover reads (None: it streams)."""
    try:
        cloud_transport.raise_for_cloud(backend, response)
    except CloudCallError as exc:
        raise ServiceCallError(
            exc.message, code=exc.code, category=exc.category, answered=True,
            retry_after_s=exc.retry_after_s,
        ) from exc  # fmt: skip
    return None
