"""Which targets the service client skips for now, and when they are back.

A target that fails a request is cooled down: skipped while others can answer. A local
service is back when the supervisor reports it ready again (it was restarted), or when a
background /health probe finds it ready after `cooldown_s`. A cloud backend stays away for
its cooldown (a 429's Retry-After at least); then GET /models says whether it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

import httpx

from voxnode.contracts.node_settings import PipelineSettings
from voxnode.contracts.routing_settings import CloudBackend
from voxnode.contracts.service_status import ServiceState
from voxnode.pipeline import cloud_transport
from voxnode.pipeline.service_host import ServiceHost
from voxnode.supervisor.health_report import parse_health
from voxnode.supervisor.runtime_status import RuntimeStatus

log = logging.getLogger(__name__)


def cloud_id(backend: CloudBackend) -> str:
    return f"cloud:{backend.name}"


class TargetCooldown:
    def __init__(
        self, host: ServiceHost, settings: PipelineSettings, http: httpx.AsyncClient,
        clouds: Callable[[], Sequence[CloudBackend]],
    ):  # fmt: skip
        self._host = host
        self._settings = settings
        self._http = http
        self._clouds = clouds
        self._since: dict[str, float] = {}
        """target id -> when it failed."""
        self._away_until: dict[str, float] = {}
        """cloud target id -> not before (its cooldown, a 429's Retry-After)."""
        self._probe: asyncio.Task[None] | None = None
        host.supervisor.add_listener(self._on_status)

    def open(self) -> None:
        self._probe = asyncio.get_running_loop().create_task(self._probe_loop())

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe

    def cooling(self, target_id: str) -> bool:
        return target_id in self._since

    def away(self, target_id: str) -> bool:
        """A cloud target within its time away: not asked at all."""
        return self._away_until.get(target_id, 0.0) > time.monotonic()

    def cool(self, target_id: str, *, cloud: CloudBackend | None, retry_after_s: float) -> None:
        now = time.monotonic()
        self._since[target_id] = now
        if cloud is not None:
            self._away_until[target_id] = now + max(cloud.cooldown_s, retry_after_s)

    def answered(self, target_id: str) -> None:
        self._since.pop(target_id, None)

    def forget_clouds(self) -> None:
        """New cloud settings (a reload): what the old ones' backends did no longer counts."""
        for target_id in [t for t in self._since if t.startswith("cloud:")]:
            self._since.pop(target_id, None)
        self._away_until.clear()

    def _on_status(self, runtime: RuntimeStatus) -> None:
        """A service that (re)became ready after failing is back."""
        if runtime.state is ServiceState.READY:
            self._since.pop(runtime.service_id, None)

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.probe_interval_s)
            now = time.monotonic()
            clouds = {cloud_id(b): b for b in self._clouds()}
            for target_id, since in list(self._since.items()):
                if target_id in clouds:
                    if self._away_until.get(target_id, 0.0) <= now:
                        await self._probe_cloud(target_id, clouds[target_id])
                elif now - since >= self._settings.cooldown_s and await self._healthy(target_id):
                    log.info("%s is back after a cooldown", target_id)
                    self._since.pop(target_id, None)

    async def _probe_cloud(self, target_id: str, backend: CloudBackend) -> None:
        """Its time away is up: GET /models says whether it is back."""
        try:
            response = await self._http.get(
                backend.base_url.rstrip("/") + "/models", headers=cloud_transport.headers(backend),
                timeout=backend.first_token_timeout_s,
            )  # fmt: skip
            back = response.status_code == 200
        except httpx.HTTPError:
            back = False
        if back:
            log.info("%s is back after a cooldown", target_id)
            self._since.pop(target_id, None)
        else:
            self._away_until[target_id] = time.monotonic() + backend.cooldown_s

    async def _healthy(self, service_id: str) -> bool:
        supervisor = self._host.supervisor
        if not supervisor.has(service_id):
            self._since.pop(service_id, None)
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
