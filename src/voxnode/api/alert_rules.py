"""Alert rules as pure functions over what the node measured in the last window.

`evaluate` judges every rule on every subject it applies to (a stage, a GPU, a service) and
returns one Finding each, firing or not: the API shows the firing ones, /metrics exports
all of them (1 or 0). `track` keeps when each firing alert began.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from voxnode.contracts.node_settings import MonitoringSettings
from voxnode.contracts.service_status import ServiceState

STAGE_LABELS = {
    "asr": "ASR", "repair": "Repair", "nmt": "Translation", "tts": "TTS",
    "llm_first_token": "LLM first token",
}  # fmt: skip
"""The latency series the node keeps, in the order the dashboard shows them."""


class AlertKind(StrEnum):
    STAGE_LATENCY = "stage_latency"
    GPU_UTILIZATION = "gpu_utilization"
    VRAM = "vram"
    SERVICE_FAILED = "service_failed"
    SERVICE_RESTARTING = "service_restarting"


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class StageWindow:
    stage: str
    samples_ms: tuple[float, ...]
    """Every sample of the stage within the window."""


@dataclass(frozen=True, slots=True)
class GpuWindow:
    index: int
    name: str
    utilization_percent: float
    """Mean over the window."""
    memory_used_mb: float
    """Latest reading."""


@dataclass(frozen=True, slots=True)
class ServiceWindow:
    service_id: str
    state: ServiceState
    restarts: int
    """Automatic restarts within the window."""


@dataclass(frozen=True, slots=True)
class Finding:
    kind: AlertKind
    subject: str
    firing: bool
    severity: Severity
    value: float | None
    threshold: float | None
    message: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind.value, self.subject)


def stage_thresholds(settings: MonitoringSettings) -> dict[str, float | None]:
    """Each stage's latency threshold in ms (None: no alert for it)."""
    return {
        "asr": settings.asr_ms, "repair": settings.repair_ms, "nmt": settings.nmt_ms,
        "tts": settings.tts_ms, "llm_first_token": settings.llm_first_token_ms,
    }  # fmt: skip


def quantile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank quantile (p95 of 20 samples is the 19th smallest); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def evaluate(
    stages: Sequence[StageWindow],
    gpus: Sequence[GpuWindow],
    services: Sequence[ServiceWindow],
    settings: MonitoringSettings,
) -> list[Finding]:
    thresholds = stage_thresholds(settings)
    findings = [
        finding
        for window in stages
        if (finding := _stage(window, thresholds.get(window.stage), settings)) is not None
    ]
    for gpu in gpus:
        findings.extend(_gpu(gpu, settings))
    for service in services:
        findings.extend(_service(service, settings))
    return findings


def _stage(
    window: StageWindow, threshold: float | None, settings: MonitoringSettings
) -> Finding | None:
    if threshold is None:
        return None
    label = STAGE_LABELS.get(window.stage, window.stage)
    count = len(window.samples_ms)
    value = quantile(window.samples_ms, settings.quantile)
    firing = value is not None and count >= settings.min_samples and value > threshold
    q = f"p{settings.quantile * 100:g}"
    message = (
        f"{label} {q} is {value:.0f} ms over the last {settings.window_s:g} s "
        f"({count} samples); the target is under {threshold:g} ms"
        if value is not None
        else f"{label}: no samples in the last {settings.window_s:g} s"
    )
    return Finding(
        AlertKind.STAGE_LATENCY, window.stage, firing, Severity.WARNING, value, threshold, message
    )


def _gpu(gpu: GpuWindow, settings: MonitoringSettings) -> list[Finding]:
    found = []
    subject = str(gpu.index)
    if settings.gpu_utilization_percent is not None:
        limit = settings.gpu_utilization_percent
        found.append(Finding(
            AlertKind.GPU_UTILIZATION, subject, gpu.utilization_percent > limit,
            Severity.WARNING, gpu.utilization_percent, limit,
            f"GPU {gpu.index} ({gpu.name}) averaged {gpu.utilization_percent:.0f} % over the "
            f"last {settings.window_s:g} s; the target is under {limit:g} %",
        ))  # fmt: skip
    if settings.vram_gb is not None:
        used_gb = gpu.memory_used_mb / 1024
        found.append(Finding(
            AlertKind.VRAM, subject, used_gb > settings.vram_gb, Severity.WARNING,
            round(used_gb, 2), settings.vram_gb,
            f"GPU {gpu.index} ({gpu.name}) holds {used_gb:.1f} GB; the target is under "
            f"{settings.vram_gb:g} GB",
        ))  # fmt: skip
    return found


def _service(service: ServiceWindow, settings: MonitoringSettings) -> list[Finding]:
    sid = service.service_id
    failed = service.state is ServiceState.FAILED
    found = [
        Finding(
            AlertKind.SERVICE_FAILED,
            sid,
            failed,
            Severity.CRITICAL,
            1.0 if failed else 0.0,
            None,
            f"{sid} has failed and is not restarted any more (see its log)",
        )
    ]
    if settings.service_restarts is not None:
        limit = settings.service_restarts
        found.append(Finding(
            AlertKind.SERVICE_RESTARTING, sid, service.restarts >= limit, Severity.WARNING,
            float(service.restarts), float(limit),
            f"{sid} restarted {service.restarts} times in the last {settings.window_s:g} s",
        ))  # fmt: skip
    return found


def track(
    since: Mapping[tuple[str, str], float], findings: Sequence[Finding], now: float
) -> dict[tuple[str, str], float]:
    """When each firing alert began: kept from `since` while it keeps firing, `now` for a
    new one; cleared ones are dropped."""
    return {f.key: since.get(f.key, now) for f in findings if f.firing}
