"""Supervises every installed service: one slot per service id, one active process per slot.

A slot's state machine: stopped -> starting -> ready -> stopping -> stopped, with failed
reachable from starting and ready. A crash of a wanted service is restarted with exponential
backoff until the crash-loop limit; a ready service that stops answering /health is killed
and restarted the same way. `replace` starts a new version beside the old one and switches
only once it is ready (the old one finishes its in-flight requests, then stops).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from voxnode.contracts.errors import ErrorCategory, NotFoundError, NotReadyError, VoxnodeError
from voxnode.contracts.node_settings import SupervisorSettings
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.contracts.service_status import ServiceState
from voxnode.supervisor.concurrency_gate import ConcurrencyGate
from voxnode.supervisor.launch_command import without_node_secrets
from voxnode.supervisor.pid_files import PidFiles
from voxnode.supervisor.port_choice import choose_port, free_port, port_is_free
from voxnode.supervisor.restart_policy import RestartPolicy, restart_delay
from voxnode.supervisor.runtime_status import RuntimeStatus
from voxnode.supervisor.service_log import ServiceLog, log_path
from voxnode.supervisor.service_process import ServiceProcess
from voxnode.supervisor.service_slot import ServiceSlot

log = logging.getLogger(__name__)

StatusListener = Callable[[RuntimeStatus], None]


class ProcessSupervisor:
    def __init__(
        self,
        *,
        settings: SupervisorSettings,
        logs_dir: os.PathLike[str],
        pid_files: PidFiles,
        service_env: dict[str, str] | None = None,
    ):
        """`service_env` is added to every service's environment (the node's home, where
        models live), on top of the node's own environment."""
        self._settings = settings
        self._logs_dir = logs_dir
        self._pids = pid_files
        self._slots: dict[str, ServiceSlot] = {}
        self._listeners: list[StatusListener] = []
        self._model_gate = asyncio.Semaphore(settings.model_start_concurrency)
        self._policy = RestartPolicy(
            backoff_initial_s=settings.restart_backoff_initial_s,
            backoff_max_s=settings.restart_backoff_max_s,
            max_restarts=settings.crash_loop_max_restarts,
            window_s=settings.crash_loop_window_s,
        )
        self._http = httpx.AsyncClient(trust_env=False)
        self._tasks: set[asyncio.Task[None]] = set()
        self._monitor: asyncio.Task[None] | None = None
        self._base_env = without_node_secrets(os.environ) | (service_env or {})

    # ----- lifecycle of the supervisor itself

    async def open(self) -> list[str]:
        """End orphans of a previous run, start the health monitor; returns reaped ids."""
        reaped = await asyncio.to_thread(
            self._pids.reap_orphans, grace_s=self._settings.stop_grace_s
        )
        self._monitor = asyncio.create_task(self._monitor_loop())
        return reaped

    async def shutdown(self) -> None:
        """Stop every service (SIGTERM, then SIGKILL after the grace period)."""
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        await asyncio.gather(*(self.stop(sid) for sid in list(self._slots)), return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()

    def add_listener(self, listener: StatusListener) -> None:
        self._listeners.append(listener)

    # ----- services

    def add(self, spec: ServiceSpec) -> None:
        if spec.service_id in self._slots:
            raise VoxnodeError(f"{spec.service_id} is already supervised", code="DUPLICATE_SERVICE")
        limit = spec.manifest.resources.max_concurrency
        gate = ConcurrencyGate(limit, queue=limit * self._settings.queue_per_place)
        self._slots[spec.service_id] = ServiceSlot(spec=spec, gate=gate)

    def has(self, service_id: str) -> bool:
        return service_id in self._slots

    def spec(self, service_id: str) -> ServiceSpec:
        return self._slot(service_id).spec

    def specs(self) -> list[ServiceSpec]:
        return [slot.spec for _, slot in sorted(self._slots.items())]

    async def remove(self, service_id: str) -> None:
        await self.stop(service_id)
        self._slots.pop(service_id, None)

    def status(self, service_id: str) -> RuntimeStatus:
        return self._slot(service_id).status()

    def statuses(self) -> list[RuntimeStatus]:
        return [self.status(service_id) for service_id in sorted(self._slots)]

    async def start(self, service_id: str) -> RuntimeStatus:
        """Start and wait until ready; a failure raises (no automatic retry)."""
        slot = self._slot(service_id)
        slot.wanted = True
        slot.restart_times.clear()
        try:
            await self._ensure_started(slot)
        except VoxnodeError:
            slot.wanted = False
            raise
        return self.status(service_id)

    def start_soon(self, service_id: str) -> None:
        """Start in the background, retrying under the restart policy (autostart)."""
        slot = self._slot(service_id)
        slot.wanted = True
        self._spawn_task(self._start_with_retries(slot))

    async def stop(self, service_id: str) -> RuntimeStatus:
        slot = self._slot(service_id)
        slot.wanted = False
        if slot.restart_task is not None:
            slot.restart_task.cancel()
        if slot.starting is not None and not slot.starting.done():
            slot.starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, VoxnodeError):
                await slot.starting
        processes = slot.processes()
        slot.active = None
        if processes:
            self._set(slot, ServiceState.STOPPING)
        grace = self._settings.stop_grace_s
        await asyncio.gather(*(proc.stop(grace_s=grace) for proc in processes))
        slot.draining.clear()
        if slot.state is not ServiceState.FAILED or processes:  # a failed one keeps its error
            self._set(slot, ServiceState.STOPPED)
        return self.status(service_id)

    async def ensure_ready(self, service_id: str, *, timeout_s: float) -> RuntimeStatus:
        """Ready now, or started on demand and waited for at most `timeout_s`."""
        slot = self._slot(service_id)
        if slot.state is ServiceState.READY:
            return self.status(service_id)
        if slot.state is ServiceState.FAILED and not slot.restart_pending:
            raise NotReadyError(
                f"{service_id} has failed: {slot.last_error}", code="SERVICE_FAILED"
            )
        if slot.state is ServiceState.STOPPED:
            slot.wanted = True
        try:
            await asyncio.wait_for(asyncio.shield(self._ensure_started(slot)), timeout_s)
        except TimeoutError:
            raise NotReadyError(
                f"{service_id} is not ready after {timeout_s:g} s (still {slot.state})",
                code="SERVICE_NOT_READY",
            ) from None
        return self.status(service_id)

    @asynccontextmanager
    async def lease(self, service_id: str) -> AsyncIterator[ServiceProcess]:
        """The ready process to send one request to, once one of the service's places
        (max_concurrency) is free; it is not stopped until released. A full queue: BusyError."""
        slot = self._slot(service_id)
        async with slot.gate.admit(service_id):
            proc = slot.active
            if slot.state is not ServiceState.READY or proc is None:
                raise NotReadyError(f"{service_id} is {slot.state}", code="SERVICE_NOT_READY")
            proc.inflight += 1
            proc.idle.clear()
            slot.last_used = time.monotonic()
            try:
                yield proc
            finally:
                proc.inflight -= 1
                slot.last_used = time.monotonic()
                if proc.inflight == 0:
                    proc.idle.set()

    async def replace(self, spec: ServiceSpec) -> None:
        """Switch a service to another version. Running: the new one must become ready first,
        otherwise this raises and the old one keeps serving."""
        slot = self._slot(spec.service_id)
        if slot.starting is not None and not slot.starting.done():
            with contextlib.suppress(VoxnodeError, asyncio.CancelledError):
                await asyncio.shield(slot.starting)
        if not (slot.wanted and slot.state is ServiceState.READY):
            slot.spec = spec
            return
        new = await self._launch(spec)
        old, slot.active, slot.spec = slot.active, new, spec
        slot.startup_s, slot.last_error, slot.health_failures = new.startup_s, None, 0
        self._watch(slot, new)
        self._set(slot, ServiceState.READY, force=True)
        if old is not None:
            slot.draining.append(old)
            self._spawn_task(self._drain(slot, old))

    # ----- internals

    def _slot(self, service_id: str) -> ServiceSlot:
        slot = self._slots.get(service_id)
        if slot is None:
            raise NotFoundError(f"service '{service_id}' is not installed", code="UNKNOWN_SERVICE")
        return slot

    def _set(self, slot: ServiceSlot, state: ServiceState, *, force: bool = False) -> None:
        if slot.state is state and not force:
            return
        slot.state = state
        status = slot.status()
        for listener in self._listeners:
            try:
                listener(status)
            except Exception:
                log.exception("status listener failed")

    def _spawn_task(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ensure_started(self, slot: ServiceSlot) -> ServiceProcess:
        if slot.state is ServiceState.READY and slot.active is not None:
            return slot.active
        if slot.starting is None or slot.starting.done():
            slot.starting = asyncio.create_task(self._run_start(slot))
            slot.starting.add_done_callback(_retrieve)
        return await asyncio.shield(slot.starting)

    async def _run_start(self, slot: ServiceSlot) -> ServiceProcess:
        self._set(slot, ServiceState.STARTING)
        try:
            proc = await self._launch(slot.spec)
        except asyncio.CancelledError:
            self._set(slot, ServiceState.STOPPED)
            raise
        except VoxnodeError as exc:
            slot.last_error = exc.message
            self._set(slot, ServiceState.FAILED, force=True)
            raise
        slot.active, slot.startup_s, slot.last_error = proc, proc.startup_s, None
        slot.health_failures = 0
        slot.last_used = time.monotonic()
        self._watch(slot, proc)
        self._set(slot, ServiceState.READY)
        return proc

    async def _launch(self, spec: ServiceSpec) -> ServiceProcess:
        declared = spec.manifest.platform().default_port
        port = choose_port(declared, is_free=port_is_free, pick_free=free_port)
        service_log = ServiceLog(
            log_path(Path(self._logs_dir), spec.service_id),
            max_bytes=self._settings.log_max_bytes,
            backups=self._settings.log_backups,
        )
        proc = ServiceProcess(spec, port=port, log=service_log)
        gate = self._model_gate if spec.manifest.is_model_service else contextlib.nullcontext()
        async with gate:
            try:
                await proc.start(
                    self._http,
                    base_env=self._base_env,
                    on_spawn=self._record_pid,
                    on_exit=self._forget_pid,
                )
            except BaseException:
                service_log.close()
                raise
        return proc

    def _record_pid(self, proc: ServiceProcess) -> None:
        assert proc.pid is not None
        self._pids.record(
            service_id=proc.spec.service_id, version=proc.spec.version, pid=proc.pid, port=proc.port
        )

    def _forget_pid(self, proc: ServiceProcess) -> None:
        assert proc.pid is not None
        self._pids.forget(proc.pid)

    def _watch(self, slot: ServiceSlot, proc: ServiceProcess) -> None:
        self._spawn_task(self._watch_exit(slot, proc))

    async def _watch_exit(self, slot: ServiceSlot, proc: ServiceProcess) -> None:
        code = await proc.wait_exit()
        proc.log.close()
        if proc.stop_requested or slot.active is not proc:
            return
        slot.active = None
        reason = proc.kill_reason or f"exited unexpectedly with code {code}"
        slot.last_error = f"{reason}: {await proc.stderr_tail()}"
        log.warning("%s %s", slot.spec.service_id, slot.last_error)
        self._set(slot, ServiceState.FAILED, force=True)
        if slot.wanted:
            self._schedule_restart(slot)

    def _schedule_restart(self, slot: ServiceSlot) -> None:
        now = time.monotonic()
        delay = restart_delay(self._policy, slot.restart_times, now)
        if delay is None:
            slot.wanted = False
            slot.last_error = (
                f"crash loop: {self._policy.max_restarts} restarts within "
                f"{self._policy.window_s:g} s; start it by hand once fixed. Last: {slot.last_error}"
            )
            self._set(slot, ServiceState.FAILED, force=True)
            return
        slot.restart_times.append(now)
        slot.restarts += 1
        slot.restart_task = asyncio.create_task(self._restart_after(slot, delay))

    async def _restart_after(self, slot: ServiceSlot, delay: float) -> None:
        await asyncio.sleep(delay)
        if slot.wanted:
            await self._start_with_retries(slot)

    async def _start_with_retries(self, slot: ServiceSlot) -> None:
        try:
            await self._ensure_started(slot)
        except VoxnodeError as exc:
            if exc.category is not ErrorCategory.TRANSIENT:
                slot.wanted = False
            elif slot.wanted:
                self._schedule_restart(slot)
        except asyncio.CancelledError:
            pass

    async def _drain(self, slot: ServiceSlot, old: ServiceProcess) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(old.idle.wait(), self._settings.drain_timeout_s)
        await old.stop(grace_s=self._settings.stop_grace_s)
        if old in slot.draining:
            slot.draining.remove(old)

    async def _monitor_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.health_interval_s)
            slots = list(self._slots.values())
            await asyncio.gather(*(self._check_health(slot) for slot in slots))
            for slot in slots:
                self._stop_if_idle(slot)

    async def _check_health(self, slot: ServiceSlot) -> None:
        proc = slot.active
        if slot.state is not ServiceState.READY or proc is None:
            return
        report = await proc.health(self._http, timeout=self._settings.health_timeout_s)
        if report is not None and report.ready:
            slot.health_failures = 0
            return
        slot.health_failures += 1
        if slot.health_failures >= self._settings.health_failures_before_restart:
            proc.kill_reason = f"unhealthy: {slot.health_failures} health checks failed"
            proc.log.note(f"{proc.kill_reason}, killing")
            proc.kill()

    def _stop_if_idle(self, slot: ServiceSlot) -> None:
        ttl = self._settings.idle_stop_s
        proc = slot.active
        if ttl is None or slot.state is not ServiceState.READY or proc is None or proc.inflight:
            return
        if time.monotonic() - slot.last_used >= ttl:
            log.info("stopping %s: idle for %g s", slot.spec.service_id, ttl)
            self._spawn_task(self.stop(slot.spec.service_id))


def _retrieve(task: asyncio.Task[ServiceProcess]) -> None:
    if not task.cancelled():
        task.exception()
