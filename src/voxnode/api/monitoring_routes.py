"""The monitoring face the dashboard is built on: alerts, per-stage latency history,
hardware history and the recent jobs (with room for a route per job)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from voxnode.api.alert_rules import STAGE_LABELS, quantile, stage_thresholds
from voxnode.api.node_state import NodeState, node_state
from voxnode.contracts.job import JobResult

router = APIRouter(tags=["monitoring"])


class AlertView(BaseModel):
    kind: str
    """stage_latency, gpu_utilization, vram, service_failed or service_restarting."""
    subject: str
    """The stage, the GPU's index or the service_id."""
    severity: str
    message: str
    value: float | None
    threshold: float | None
    """In the rule's unit: ms, %, GB or restarts."""
    since: float
    """Wall-clock time it began to fire."""


class AlertList(BaseModel):
    alerts: list[AlertView]
    window_s: float


class StageLatency(BaseModel):
    stage: str
    label: str
    threshold_ms: float | None
    count: int
    """Samples within the window."""
    p50_ms: float | None
    p95_ms: float | None
    """The window's quantile the alert compares (monitoring.quantile; 0.95 by default)."""
    points: list[tuple[float, float]]
    """(wall-clock time, ms) of every sample within monitoring.history_s."""


class LatencyView(BaseModel):
    window_s: float
    quantile: float
    stages: list[StageLatency]


class GpuView(BaseModel):
    index: int
    name: str
    utilization_percent: float
    memory_used_mb: float
    memory_total_mb: float


class HardwareView(BaseModel):
    at: float
    cpu_percent: float
    ram_percent: float
    ram_used_mb: float
    ram_total_mb: float
    gpus: list[GpuView]


class HardwareHistory(BaseModel):
    interval_s: float
    gpu_utilization_percent: float | None
    vram_gb: float | None
    """The GPU alert thresholds, for the charts."""
    samples: list[HardwareView]


class RecentJobView(JobResult):
    finished_at: float
    route: str | None = None
    """local or cloud once the node routes jobs (hybrid routing); null while all run here."""


class RecentJobList(BaseModel):
    jobs: list[RecentJobView]
    """Newest first; audio is not kept."""
    routes: dict[str, int]
    """Jobs per route among those kept (empty while no job reports a route)."""


@router.get("/v1/alerts")
async def alerts(node: NodeState = Depends(node_state)) -> AlertList:
    views = [
        AlertView(
            kind=a.finding.kind.value,
            subject=a.finding.subject,
            severity=a.finding.severity.value,
            message=a.finding.message,
            value=a.finding.value,
            threshold=a.finding.threshold,
            since=a.since,
        )
        for a in node.monitor.alerts()
    ]
    return AlertList(alerts=views, window_s=node.monitor.settings.window_s)


@router.get("/v1/monitoring/latency")
async def latency(node: NodeState = Depends(node_state)) -> LatencyView:
    monitor = node.monitor
    settings = monitor.settings
    thresholds = stage_thresholds(settings)
    now = monitor.now()
    stages = []
    for stage, label in STAGE_LABELS.items():
        window = monitor.window_samples(stage, now)
        stages.append(StageLatency(
            stage=stage, label=label, threshold_ms=thresholds[stage], count=len(window),
            p50_ms=quantile(window, 0.5), p95_ms=quantile(window, settings.quantile),
            points=monitor.latency_points(stage),
        ))  # fmt: skip
    return LatencyView(window_s=settings.window_s, quantile=settings.quantile, stages=stages)


@router.get("/v1/monitoring/hardware")
async def hardware(
    since: float = Query(0.0, description="Only samples taken after this wall-clock time"),
    node: NodeState = Depends(node_state),
) -> HardwareHistory:
    settings = node.monitor.settings
    samples = [
        HardwareView(
            at=s.at,
            cpu_percent=s.cpu_percent,
            ram_percent=s.ram_percent,
            ram_used_mb=round(s.ram_used_bytes / 2**20, 1),
            ram_total_mb=round(s.ram_total_bytes / 2**20, 1),
            gpus=[
                GpuView(
                    index=i,
                    name=g.name,
                    utilization_percent=g.utilization_percent,
                    memory_used_mb=g.memory_used_mb,
                    memory_total_mb=g.memory_total_mb,
                )
                for i, g in enumerate(s.gpus)
            ],
        )
        for s in node.monitor.hardware()
        if s.at > since
    ]
    return HardwareHistory(
        interval_s=settings.sample_interval_s,
        gpu_utilization_percent=settings.gpu_utilization_percent,
        vram_gb=settings.vram_gb,
        samples=samples,
    )


@router.get("/v1/jobs/recent")
async def recent_jobs(
    limit: int = Query(50, ge=1, le=10_000), node: NodeState = Depends(node_state)
) -> RecentJobList:
    recent = node.monitor.recent
    jobs = [
        RecentJobView(**job.result.model_dump(), finished_at=job.finished_at, route=job.route)
        for job in recent.latest(limit)
    ]
    return RecentJobList(jobs=jobs, routes=recent.routes())
