"""The supervisor against real fake services in real subprocesses."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psutil
import pytest

from voxnode.contracts.errors import NotReadyError
from voxnode.contracts.node_settings import SupervisorSettings
from voxnode.contracts.service_manifest import load_manifest
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.contracts.service_status import ServiceState
from voxnode.supervisor.launch_command import LaunchError
from voxnode.supervisor.pid_files import PidFiles
from voxnode.supervisor.process_supervisor import ProcessSupervisor
from voxnode.supervisor.runtime_status import RuntimeStatus
from voxnode.supervisor.service_process import StartError
from voxnode.testing import FakeKnobs, MakePackage, eventually_async, fast_supervisor

pytestmark = pytest.mark.anyio


def spec(folder: Path) -> ServiceSpec:
    return ServiceSpec(manifest=load_manifest(folder), path=folder)


@pytest.fixture
async def make_supervisor(tmp_path: Path) -> AsyncIterator[object]:
    made: list[ProcessSupervisor] = []

    async def make(settings: SupervisorSettings | None = None) -> ProcessSupervisor:
        supervisor = ProcessSupervisor(
            settings=settings or fast_supervisor(),
            logs_dir=tmp_path / "logs",
            pid_files=PidFiles(tmp_path / "run"),
        )
        await supervisor.open()
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        await supervisor.shutdown()


async def test_start_waits_for_health_ok_and_warmed(
    make_supervisor, make_package: MakePackage
) -> None:
    supervisor = await make_supervisor()
    supervisor.add(spec(make_package("svc", knobs=FakeKnobs(load_delay_s=0.5))))
    states: list[ServiceState] = []
    supervisor.add_listener(lambda status: states.append(status.state))
    status = await supervisor.start("svc")
    assert status.state is ServiceState.READY
    assert status.startup_s is not None and status.startup_s >= 0.5
    assert states == [ServiceState.STARTING, ServiceState.READY]
    async with httpx.AsyncClient() as client:
        info = (await client.get(f"{status.url}/info")).json()
    assert info["port"] == status.port  # the service listens where it was told


async def test_crash_at_start_is_seen_at_once_with_stderr_tail(
    make_supervisor, make_package
) -> None:
    supervisor = await make_supervisor()
    supervisor.add(
        spec(make_package("svc", knobs=FakeKnobs(crash_at_start=True), startup_timeout_s=60))
    )
    started = time.monotonic()
    with pytest.raises(StartError) as caught:
        await supervisor.start("svc")
    assert time.monotonic() - started < 5  # not the 60 s start-up timeout
    assert caught.value.code == "EXITED_DURING_START"
    assert "model file is corrupt" in caught.value.message
    assert supervisor.status("svc").state is ServiceState.FAILED


async def test_never_ready_fails_after_startup_timeout(make_supervisor, make_package) -> None:
    supervisor = await make_supervisor()
    supervisor.add(
        spec(make_package("svc", knobs=FakeKnobs(never_ready=True), startup_timeout_s=1.0))
    )
    with pytest.raises(StartError) as caught:
        await supervisor.start("svc")
    assert caught.value.code == "STARTUP_TIMEOUT"
    assert "status=loading" in caught.value.message


async def test_a_service_that_reports_a_failed_load_fails_at_once(
    make_supervisor, make_package, tmp_path: Path
) -> None:
    flag = tmp_path / "unhealthy"
    flag.touch()  # /health says "error" from the start, as a service whose load failed does
    supervisor = await make_supervisor()
    knobs = FakeKnobs(unhealthy_file=str(flag))
    supervisor.add(spec(make_package("svc", knobs=knobs, startup_timeout_s=60)))
    started = time.monotonic()
    with pytest.raises(StartError) as caught:
        await supervisor.start("svc")
    assert time.monotonic() - started < 10  # not the 60 s start-up timeout
    assert caught.value.code == "LOAD_FAILED" and "unhealthy file" in caught.value.message


async def test_missing_command_is_a_clear_permanent_error(make_supervisor, make_package) -> None:
    folder = make_package("svc")
    manifest = load_manifest(folder)
    manifest.platforms["linux"]["command"] = "no-such-binary-voxnode"
    supervisor = await make_supervisor()
    supervisor.add(ServiceSpec(manifest=manifest, path=folder))
    with pytest.raises(LaunchError, match="no-such-binary-voxnode"):
        await supervisor.start("svc")
    assert supervisor.status("svc").state is ServiceState.FAILED


async def test_declared_port_in_use_gets_a_free_port(make_supervisor, make_package) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        supervisor = await make_supervisor()
        supervisor.add(spec(make_package("svc", default_port=busy)))
        status = await supervisor.start("svc")
        assert status.state is ServiceState.READY
        assert status.port != busy


async def test_kill_9_is_restarted(make_supervisor, make_package) -> None:
    supervisor = await make_supervisor()
    supervisor.add(spec(make_package("svc")))
    first = await supervisor.start("svc")
    assert first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    await eventually_async(
        lambda: (
            supervisor.status("svc").state is ServiceState.READY
            and supervisor.status("svc").pid != first.pid
        )
    )
    status = supervisor.status("svc")
    assert status.restarts == 1
    assert status.last_error is None


async def test_crash_loop_stops_restarting(make_supervisor, make_package) -> None:
    supervisor = await make_supervisor(fast_supervisor(crash_loop_max_restarts=2))
    supervisor.add(spec(make_package("svc", knobs=FakeKnobs(crash_after=1))))
    seen: list[RuntimeStatus] = []
    supervisor.add_listener(seen.append)
    await supervisor.start("svc")
    for _ in range(3):
        await eventually_async(lambda: supervisor.status("svc").state is ServiceState.READY)
        async with supervisor.lease("svc") as proc, httpx.AsyncClient() as client:
            for _ in range(2):
                try:
                    await client.post(f"{proc.url}/v1/echo", json={})
                except httpx.HTTPError:
                    break
        await eventually_async(lambda: supervisor.status("svc").state is not ServiceState.READY)
    await eventually_async(lambda: "crash loop" in (supervisor.status("svc").last_error or ""))
    assert supervisor.status("svc").state is ServiceState.FAILED
    assert supervisor.status("svc").restarts == 2
    assert "crashing after 1 requests" in (supervisor.status("svc").last_error or "")


async def test_sigterm_ignored_is_killed_after_grace(
    make_supervisor, make_package, tmp_path: Path
) -> None:
    supervisor = await make_supervisor(fast_supervisor(stop_grace_s=0.5))
    supervisor.add(spec(make_package("svc", knobs=FakeKnobs(ignore_sigterm=True))))
    status = await supervisor.start("svc")
    started = time.monotonic()
    await supervisor.stop("svc")
    assert 0.5 <= time.monotonic() - started < 5
    assert not psutil.pid_exists(status.pid) or psutil.Process(status.pid).status() == "zombie"
    assert supervisor.status("svc").state is ServiceState.STOPPED
    assert not list((tmp_path / "run").iterdir())  # its pid file went with it


async def test_unhealthy_service_is_restarted(
    make_supervisor, make_package, tmp_path: Path
) -> None:
    flag = tmp_path / "unhealthy"
    supervisor = await make_supervisor()
    supervisor.add(spec(make_package("svc", knobs=FakeKnobs(unhealthy_file=str(flag)))))
    first = await supervisor.start("svc")
    flag.touch()
    await eventually_async(lambda: supervisor.status("svc").restarts == 1)
    flag.unlink()
    await eventually_async(lambda: supervisor.status("svc").state is ServiceState.READY)
    assert supervisor.status("svc").pid != first.pid


async def test_model_services_start_one_at_a_time(make_supervisor, make_package) -> None:
    supervisor = await make_supervisor(fast_supervisor(model_start_concurrency=1))
    model = {"name": "fake-model"}
    for name in ("m1", "m2"):
        supervisor.add(spec(make_package(name, knobs=FakeKnobs(load_delay_s=0.6), model=model)))
    supervisor.add(spec(make_package("plain", knobs=FakeKnobs(load_delay_s=0.6))))
    ready_at: dict[str, float] = {}
    supervisor.add_listener(
        lambda s: (
            ready_at.setdefault(s.service_id, time.monotonic())
            if s.state is ServiceState.READY
            else None
        )
    )
    started = time.monotonic()
    await asyncio.gather(*(supervisor.start(name) for name in ("m1", "m2", "plain")))
    models = sorted(ready_at[name] - started for name in ("m1", "m2"))
    assert models[1] - models[0] >= 0.5  # the second model waited for the first
    assert ready_at["plain"] - started < models[1]  # a non-model service did not wait


async def test_on_demand_start_with_bounded_wait(make_supervisor, make_package) -> None:
    supervisor = await make_supervisor()
    supervisor.add(spec(make_package("quick", knobs=FakeKnobs(load_delay_s=0.2))))
    supervisor.add(spec(make_package("slow", knobs=FakeKnobs(load_delay_s=3.0))))
    status = await supervisor.ensure_ready("quick", timeout_s=10)
    assert status.state is ServiceState.READY
    with pytest.raises(NotReadyError):
        await supervisor.ensure_ready("slow", timeout_s=0.3)
    await eventually_async(
        lambda: supervisor.status("slow").state is ServiceState.READY
    )  # kept starting


async def test_idle_service_is_stopped_after_ttl(make_supervisor, make_package) -> None:
    supervisor = await make_supervisor(fast_supervisor(idle_stop_s=0.5))
    supervisor.add(spec(make_package("svc")))
    await supervisor.start("svc")
    await eventually_async(
        lambda: supervisor.status("svc").state is ServiceState.STOPPED, timeout_s=5
    )
    status = await supervisor.ensure_ready("svc", timeout_s=10)
    assert status.state is ServiceState.READY


async def test_replace_lets_inflight_request_finish_on_old_version(
    make_supervisor, make_package, tmp_path: Path
) -> None:
    requests = tmp_path / "requests.log"
    knobs = FakeKnobs(slow_ms=1500, request_log=str(requests))
    supervisor = await make_supervisor()
    supervisor.add(spec(make_package("svc", version="1.0.0", knobs=knobs)))
    old = await supervisor.start("svc")

    async def slow_request() -> dict[str, object]:
        async with supervisor.lease("svc") as proc, httpx.AsyncClient(timeout=10) as client:
            return (await client.post(f"{proc.url}/v1/echo", json={"n": 1})).json()  # type: ignore[no-any-return]

    inflight = asyncio.create_task(slow_request())
    await eventually_async(
        lambda: requests.exists() and requests.read_text() == "/v1/echo\n",
        what="the slow request to reach the old version",
    )
    await supervisor.replace(spec(make_package("svc", version="2.0.0")))
    new = supervisor.status("svc")
    assert new.version == "2.0.0" and new.pid != old.pid
    answer = await inflight
    assert answer["pid"] == old.pid  # finished on the version it started with
    await eventually_async(
        lambda: not psutil.pid_exists(old.pid) or psutil.Process(old.pid).status() == "zombie"
    )


async def test_failed_replace_keeps_old_version_serving(make_supervisor, make_package) -> None:
    supervisor = await make_supervisor()
    supervisor.add(spec(make_package("svc", version="1.0.0")))
    old = await supervisor.start("svc")
    broken = spec(make_package("svc", version="2.0.0", knobs=FakeKnobs(crash_at_start=True)))
    with pytest.raises(StartError):
        await supervisor.replace(broken)
    status = supervisor.status("svc")
    assert (status.version, status.pid, status.state) == ("1.0.0", old.pid, ServiceState.READY)


async def test_orphans_of_a_crashed_node_are_ended(tmp_path: Path, make_package) -> None:
    pid_files = PidFiles(tmp_path / "run")
    first = ProcessSupervisor(
        settings=fast_supervisor(), logs_dir=tmp_path / "logs", pid_files=pid_files
    )
    await first.open()
    first.add(spec(make_package("svc", knobs=FakeKnobs(ignore_sigterm=True))))
    status = await first.start("svc")
    # The node "crashes": nothing stops the child; a new supervisor starts on the same home.
    second = ProcessSupervisor(
        settings=fast_supervisor(stop_grace_s=0.3), logs_dir=tmp_path / "logs", pid_files=pid_files
    )
    reaped = await second.open()
    assert reaped == ["svc"]
    await eventually_async(
        lambda: not psutil.pid_exists(status.pid) or psutil.Process(status.pid).status() == "zombie"
    )
    await second.shutdown()
    await first.shutdown()
