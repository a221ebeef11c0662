"""NodeMonitor on a clock the test moves: latency windows, restarts within the window,
GPU means, the start of each alert, LLM timings into Prometheus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from prometheus_client import CollectorRegistry

from voxnode.agent.node_facts import GpuReading
from voxnode.api.hardware_sampler import HardwareSampler
from voxnode.api.llm_timing import LlmTiming
from voxnode.api.node_monitor import NodeMonitor
from voxnode.contracts.job import JobResult, JobStatus, StageTimings
from voxnode.contracts.node_settings import MonitoringSettings
from voxnode.contracts.openai import UsageOut
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_status import ServiceState, ServiceStatus
from voxnode.pipeline.pipeline_metrics import PipelineMetrics


@dataclass
class World:
    now: float = 1000.0
    services: list[ServiceStatus] = field(default_factory=list)

    def clock(self) -> float:
        return self.now


def status(
    service_id: str, state: ServiceState = ServiceState.READY, restarts: int = 0
) -> ServiceStatus:
    return ServiceStatus(
        service_id=service_id, name=service_id, type=ServiceType.ASR, languages=["en"],
        subtype=None, version="1.0.0", installed_versions=["1.0.0"], state=state,
        restarts=restarts,
    )  # fmt: skip


def monitor(
    world: World, gpus: Callable[[], list[GpuReading]] = list
) -> tuple[NodeMonitor, CollectorRegistry]:
    registry = CollectorRegistry()
    watched = NodeMonitor(
        MonitoringSettings(window_s=60, min_samples=1), statuses=lambda: world.services,
        sampler=HardwareSampler(gpus=gpus, clock=world.clock),
        metrics=PipelineMetrics(registry), clock=world.clock,
    )  # fmt: skip
    return watched, registry


def job(asr_ms: float, tts_ms: float = 0.0) -> JobResult:
    return JobResult(
        job_id="j", session_id="s", utterance_index=0, status=JobStatus.OK, src_lang="en",
        tgt_lang="zh", timings=StageTimings(asr_ms=asr_ms, tts_ms=tts_ms, total_ms=asr_ms),
    )  # fmt: skip


def alert_keys(watched: NodeMonitor) -> set[tuple[str, str]]:
    return {a.finding.key for a in watched.alerts()}


def test_latency_leaves_the_window_and_the_alert_clears() -> None:
    world = World()
    watched, _ = monitor(world)
    watched.record_job(job(asr_ms=900.0, tts_ms=100.0))
    assert watched.window_samples("asr", world.now) == (900.0,)
    assert watched.window_samples("repair", world.now) == ()  # 0 ms: the stage did not run
    assert alert_keys(watched) == {("stage_latency", "asr")}
    began = watched.alerts()[0].since
    world.now += 30
    watched.record_job(job(asr_ms=100.0))
    assert watched.alerts()[0].since == began  # still firing: the p95 of both is 900
    world.now += 45  # the slow sample is 75 s old: out of the 60 s window
    assert alert_keys(watched) == set()
    assert [ms for _, ms in watched.latency_points("asr")] == [900.0, 100.0]  # history stays


def test_restarts_count_within_the_window_only() -> None:
    world = World(services=[status("asr-a", restarts=0)])
    watched, _ = monitor(world)
    assert alert_keys(watched) == set()
    for restarts in (1, 2, 3):
        world.now += 5
        world.services = [status("asr-a", restarts=restarts)]
        watched.findings()
    assert alert_keys(watched) == {("service_restarting", "asr-a")}
    world.now += 61  # no restart for a whole window
    assert alert_keys(watched) == set()
    world.services = [status("asr-a", ServiceState.FAILED, restarts=3)]
    assert alert_keys(watched) == {("service_failed", "asr-a")}
    world.services = []  # uninstalled: its alerts go with it
    assert alert_keys(watched) == set()


def test_restarts_made_before_the_first_look_count() -> None:
    world = World()
    watched, _ = monitor(world)
    assert alert_keys(watched) == set()
    world.services = [status("asr-a", ServiceState.FAILED, restarts=5)]  # a fast crash loop
    assert alert_keys(watched) == {("service_failed", "asr-a"), ("service_restarting", "asr-a")}
    world.now += 61
    assert alert_keys(watched) == {("service_failed", "asr-a")}


@pytest.mark.anyio
async def test_gpu_alerts_from_the_sampled_history() -> None:
    world = World()
    readings = [GpuReading("NVIDIA H200", 143771.0, 1024.0, 95.0)]
    watched, _ = monitor(world, gpus=lambda: list(readings))
    for _ in range(3):
        await watched.sample_once()
    assert alert_keys(watched) == {("gpu_utilization", "0")}
    readings[0] = GpuReading("NVIDIA H200", 143771.0, 20 * 1024.0, 10.0)
    await watched.sample_once()  # the mean is (95 * 3 + 10) / 4 = 73.75: under 80 %
    assert alert_keys(watched) == {("vram", "0")}  # VRAM is the latest reading: 20 GB
    world.now += 61
    await watched.sample_once()  # the window holds only the last reading
    assert {(a.finding.key, a.finding.value) for a in watched.alerts()} == {(("vram", "0"), 20.0)}


def test_llm_timings_reach_prometheus_and_the_latency_series() -> None:
    world = World()
    watched, registry = monitor(world)
    usage = UsageOut(prompt_tokens=10, completion_tokens=20, total_tokens=30)
    watched.record_llm(LlmTiming(True, 0.25, 2.0, usage))
    watched.record_llm(LlmTiming(False, 1.5, 1.5, None))
    watched.record_llm(LlmTiming(True, None, 0.1, None))  # broke off before any token
    value = registry.get_sample_value
    assert value("voxnode_llm_first_token_seconds_count", {"stream": "true"}) == 1
    assert value("voxnode_llm_first_token_seconds_sum", {"stream": "false"}) == 1.5
    assert value("voxnode_llm_tokens_total", {"kind": "completion"}) == 20
    assert value("voxnode_llm_tokens_per_second_sum", {"stream": "true"}) == 10.0
    assert watched.window_samples("llm_first_token", world.now) == (250.0, 1500.0)
    assert alert_keys(watched) == {("stage_latency", "llm_first_token")}
