"""What the dashboard watches, kept in bounded memory and owned by the app's lifespan:
recent jobs, per-stage latency history, hardware history, restart history and the alerts.

Jobs arrive through the orchestrator's listener, LLM timings from the OpenAI face, hardware
readings from a background loop (every `sample_interval_s`), which also notes each
service's restarts. Alerts are judged on demand by alert_rules (pure), over the last
`window_s`; `alerts()` also keeps when each one began.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from voxnode.api.alert_rules import (
    STAGE_LABELS,
    Finding,
    GpuWindow,
    ServiceWindow,
    StageWindow,
    evaluate,
    track,
)
from voxnode.api.hardware_sampler import HardwareSample, HardwareSampler
from voxnode.api.llm_timing import LlmTiming
from voxnode.contracts.job import JobResult
from voxnode.contracts.node_settings import MonitoringSettings
from voxnode.contracts.service_status import ServiceStatus
from voxnode.pipeline.pipeline_metrics import PipelineMetrics
from voxnode.pipeline.recent_jobs import RecentJobs

log = logging.getLogger(__name__)
MAX_POINTS_PER_STAGE = 2000
JOB_STAGES = ("asr", "repair", "nmt", "tts")
"""The stages of a JobResult's timings (`<stage>_ms`) that the latency series take."""


@dataclass(frozen=True, slots=True)
class ActiveAlert:
    finding: Finding
    since: float


class NodeMonitor:
    def __init__(
        self,
        settings: MonitoringSettings,
        *,
        statuses: Callable[[], list[ServiceStatus]],
        sampler: HardwareSampler,
        metrics: PipelineMetrics,
        clock: Callable[[], float] = time.time,
    ):
        self.settings = settings
        self._statuses = statuses
        self._sampler = sampler
        self._metrics = metrics
        self._clock = clock
        self.recent = RecentJobs(settings.recent_jobs)
        self._latency: dict[str, collections.deque[tuple[float, float]]] = {
            stage: collections.deque(maxlen=MAX_POINTS_PER_STAGE) for stage in STAGE_LABELS
        }
        size = max(math.ceil(settings.history_s / settings.sample_interval_s), 1)
        self._hardware: collections.deque[HardwareSample] = collections.deque(maxlen=size)
        self._restarts: dict[str, collections.deque[tuple[float, int]]] = {}
        self._since: dict[tuple[str, str], float] = {}

    # ----- what comes in

    def record_job(self, result: JobResult) -> None:
        """The orchestrator's listener: keeps the job and its stage times."""
        now = self._clock()
        self.recent.record(result, at=now)
        timings = result.timings
        for stage, ms in zip(
            JOB_STAGES, (timings.asr_ms, timings.repair_ms, timings.nmt_ms, timings.tts_ms),
            strict=True,
        ):  # fmt: skip
            if ms > 0:
                self._add(stage, now, ms)

    def record_llm(self, timing: LlmTiming) -> None:
        """An answer through the OpenAI face: first-token time, tokens and tokens/s."""
        stream = "true" if timing.stream else "false"
        if timing.first_token_s is not None:
            self._metrics.llm_first_token_seconds.labels(stream).observe(timing.first_token_s)
            self._add("llm_first_token", self._clock(), timing.first_token_s * 1000)
        if timing.usage is not None:
            self._metrics.llm_tokens.labels("prompt").inc(timing.usage.prompt_tokens)
            self._metrics.llm_tokens.labels("completion").inc(timing.usage.completion_tokens)
            if timing.total_s > 0 and timing.usage.completion_tokens:
                rate = timing.usage.completion_tokens / timing.total_s
                self._metrics.llm_tokens_per_second.labels(stream).observe(rate)

    async def run(self) -> None:
        """Reads the hardware and notes restarts every `sample_interval_s`, until cancelled."""
        while True:
            try:
                await self.sample_once()
            except Exception:  # a broken reading must not end the loop
                log.exception("hardware sample failed")
            await asyncio.sleep(self.settings.sample_interval_s)

    async def sample_once(self) -> HardwareSample:
        sample = await asyncio.to_thread(self._sampler.sample)
        self._hardware.append(sample)
        self._note_restarts(self._statuses(), sample.at)
        return sample

    # ----- views

    def now(self) -> float:
        return self._clock()

    def latency_points(self, stage: str) -> list[tuple[float, float]]:
        self._prune(self._clock())
        return list(self._latency[stage])

    def window_samples(self, stage: str, now: float) -> tuple[float, ...]:
        start = now - self.settings.window_s
        return tuple(ms for at, ms in self._latency[stage] if at >= start)

    def hardware(self) -> list[HardwareSample]:
        return list(self._hardware)

    def findings(self, now: float | None = None) -> list[Finding]:
        now = self._clock() if now is None else now
        self._prune(now)
        statuses = self._statuses()
        self._note_restarts(statuses, now)
        stages = [StageWindow(stage, self.window_samples(stage, now)) for stage in STAGE_LABELS]
        return evaluate(stages, self._gpu_windows(now), self._service_windows(statuses, now),
                        self.settings)  # fmt: skip

    def alerts(self, now: float | None = None) -> list[ActiveAlert]:
        """The firing alerts, each with the time it began (kept between calls)."""
        now = self._clock() if now is None else now
        firing = [f for f in self.findings(now) if f.firing]
        self._since = track(self._since, firing, now)
        return [ActiveAlert(f, self._since[f.key]) for f in firing]

    # ----- internals

    def _add(self, stage: str, at: float, ms: float) -> None:
        self._latency[stage].append((at, round(ms, 3)))

    def _prune(self, now: float) -> None:
        start = now - self.settings.history_s
        for points in self._latency.values():
            while points and points[0][0] < start:
                points.popleft()

    def _gpu_windows(self, now: float) -> list[GpuWindow]:
        if not self._hardware or not self._hardware[-1].gpus:
            return []
        start = now - self.settings.window_s
        recent = [s for s in self._hardware if s.at >= start] or [self._hardware[-1]]
        windows = []
        for index, latest in enumerate(self._hardware[-1].gpus):
            utilization = [s.gpus[index].utilization_percent for s in recent if len(s.gpus) > index]
            windows.append(GpuWindow(
                index, latest.name, round(sum(utilization) / len(utilization), 1),
                latest.memory_used_mb,
            ))  # fmt: skip
        return windows

    def _note_restarts(self, statuses: list[ServiceStatus], now: float) -> None:
        start = now - self.settings.window_s
        for status in statuses:
            seen = self._restarts.setdefault(status.service_id, collections.deque())
            if seen and status.restarts < seen[-1][1]:
                seen.clear()  # reinstalled: its count began again
            if not seen:
                # Its count began at 0 after the last look (the node watches from its own
                # start), so restarts already made when first seen are within the window.
                seen.append((now, 0))
            if seen[-1][1] != status.restarts:
                seen.append((now, status.restarts))
            while len(seen) >= 2 and seen[1][0] <= start:
                seen.popleft()  # the newest sample at or before the window's start is the base
        for gone in set(self._restarts) - {s.service_id for s in statuses}:
            del self._restarts[gone]

    def _service_windows(self, statuses: list[ServiceStatus], now: float) -> list[ServiceWindow]:
        windows = []
        for status in statuses:
            seen = self._restarts.get(status.service_id)
            base = seen[0][1] if seen else status.restarts
            windows.append(ServiceWindow(status.service_id, status.state,
                                         max(status.restarts - base, 0)))  # fmt: skip
        return windows
