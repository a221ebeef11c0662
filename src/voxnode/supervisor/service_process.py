"""One OS process of one version of a service: spawn, readiness, health, stop.

Readiness races `/health` polling against the process's exit, so an early exit is seen at
once and its stderr tail becomes the error. Stop is SIGTERM to the process group, then
SIGKILL after the grace period: children the service spawned go with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping

import httpx

from voxnode.contracts.errors import ErrorCategory, VoxnodeError
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.packages.venv_builder import venv_dir
from voxnode.packages.venv_check import check_venv
from voxnode.portability.process_group import group_spawn_options, kill_group, terminate_group
from voxnode.supervisor.health_report import HealthReport, parse_health
from voxnode.supervisor.launch_command import build_launch
from voxnode.supervisor.service_log import ServiceLog

POLL_INTERVAL_S = 0.05
MAX_POLL_INTERVAL_S = 0.1


class StartError(VoxnodeError):
    """The service did not become ready; `category` says whether a retry may help."""

    code = "START_FAILED"
    category = ErrorCategory.TRANSIENT
    status = 503


class ServiceProcess:
    def __init__(self, spec: ServiceSpec, *, port: int, log: ServiceLog, host: str = "127.0.0.1"):
        self.spec = spec
        self.port = port
        self.host = host
        self.log = log
        self.inflight = 0
        self.stop_requested = False
        self.startup_s: float | None = None
        self.kill_reason: str | None = None
        """Why the supervisor killed it (e.g. unhealthy), for the error message."""
        self._proc: asyncio.subprocess.Process | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._exited = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(
        self,
        http: httpx.AsyncClient,
        *,
        base_env: Mapping[str, str],
        on_spawn: Callable[[ServiceProcess], None] | None = None,
        on_exit: Callable[[ServiceProcess], None] | None = None,
    ) -> None:
        """Check its venv (Plan D), spawn and wait until ready within the manifest's
        startup_timeout_s."""
        if self.spec.manifest.python.isolated:
            try:
                await asyncio.to_thread(check_venv, self.spec.service_id, venv_dir(self.spec.path))
            except VoxnodeError as exc:
                self.log.note(exc.message)
                raise
        launch = build_launch(self.spec, self.port, base_env=base_env)
        started = time.monotonic()
        self.log.note(f"spawn {' '.join(launch.argv)} (port {self.port})")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *launch.argv,
                cwd=launch.cwd,
                env=launch.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                **group_spawn_options(),
            )
        except OSError as exc:
            raise StartError(
                f"{self.spec.service_id}: cannot spawn: {exc}", code="SPAWN_FAILED"
            ) from exc
        if on_spawn is not None:
            on_spawn(self)
        self._pumps = [
            asyncio.create_task(self._pump(self._proc.stdout, "stdout")),
            asyncio.create_task(self._pump(self._proc.stderr, "stderr")),
        ]
        asyncio.create_task(self._watch_exit(on_exit))  # noqa: RUF006 - ends with the process
        try:
            await self._wait_ready(http, started)
        except BaseException:
            await self.stop(grace_s=1.0)
            raise
        self.startup_s = time.monotonic() - started

    async def _wait_ready(self, http: httpx.AsyncClient, started: float) -> None:
        timeout = self.spec.manifest.health.startup_timeout_s
        deadline = started + timeout
        interval = POLL_INTERVAL_S
        last = "no answer yet"
        while True:
            if self._exited.is_set():
                raise StartError(
                    f"{self.spec.service_id}: exited with code {self.returncode} during start-up: "
                    f"{await self.stderr_tail()}",
                    code="EXITED_DURING_START",
                )
            report = await self.health(http, timeout=min(2.0, timeout))
            if report is not None and report.ready:
                return
            if report is not None and report.status == "error":
                # contract 2: the service says its load failed; waiting will not fix it
                raise StartError(
                    f"{self.spec.service_id}: failed to load: {report.detail}",
                    code="LOAD_FAILED",
                )
            if report is not None:
                last = f"status={report.status} warmed={report.warmed}"
            if time.monotonic() >= deadline:
                raise StartError(
                    f"{self.spec.service_id}: not ready within {timeout:g} s ({last})",
                    code="STARTUP_TIMEOUT",
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exited.wait(), interval)
            interval = min(interval * 1.5, MAX_POLL_INTERVAL_S)

    async def health(self, http: httpx.AsyncClient, *, timeout: float) -> HealthReport | None:
        """The service's health, or None when it does not answer."""
        try:
            response = await http.get(self.url + self.spec.manifest.health.path, timeout=timeout)
            return parse_health(response.json())
        except (httpx.HTTPError, ValueError):
            return None

    async def stop(self, *, grace_s: float) -> None:
        """SIGTERM the group, SIGKILL it after `grace_s`; returns when the process is reaped."""
        self.stop_requested = True
        if self._proc is None:
            return
        if self._proc.returncode is None:
            self.log.note("stop: SIGTERM")
            terminate_group(self._proc.pid)
            try:
                await asyncio.wait_for(self._exited.wait(), grace_s)
            except TimeoutError:
                self.log.note(f"stop: still alive after {grace_s:g} s, SIGKILL")
        kill_group(self._proc.pid)  # the group: also children that outlived the leader
        await self._exited.wait()

    def kill(self) -> None:
        if self._proc is not None:
            kill_group(self._proc.pid)

    async def wait_exit(self) -> int | None:
        await self._exited.wait()
        return self.returncode

    async def stderr_tail(self) -> str:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self._pumps), 1.0)
        return self.log.tail() or "(no output on stderr)"

    async def _watch_exit(self, on_exit: Callable[[ServiceProcess], None] | None) -> None:
        assert self._proc is not None
        code = await self._proc.wait()
        self.log.note(f"exited with code {code}")
        kill_group(self._proc.pid)  # what it spawned (a llama-server) goes with it
        if on_exit is not None:
            on_exit(self)
        self._exited.set()

    async def _pump(self, stream: asyncio.StreamReader | None, name: str) -> None:
        if stream is None:
            return
        while line := await stream.readline():
            self.log.write(name, line.decode("utf-8", "replace"))
