"""Prometheus series of the speech pipeline: stage latency, failovers, degradations, jobs."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from voxnode.contracts.job import JobResult, Stage

STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)
TOKEN_RATE_BUCKETS = (1, 2, 5, 10, 20, 40, 80, 160, 320)


class PipelineMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.stage_seconds = Histogram(
            "voxnode_stage_seconds", "Time a job spent in each stage", ["stage"],
            buckets=STAGE_BUCKETS, registry=registry,
        )  # fmt: skip
        self.job_seconds = Histogram(
            "voxnode_job_seconds", "Whole job, request to result", buckets=STAGE_BUCKETS,
            registry=registry,
        )  # fmt: skip
        self.jobs = Counter("voxnode_jobs", "Jobs by final status", ["status"], registry=registry)
        self.degradations = Counter(
            "voxnode_degradations", "Stages that failed inside a job", ["stage", "code"],
            registry=registry,
        )  # fmt: skip
        self.routes = Counter(
            "voxnode_routes", "Requests by stage and the way they went, and why",
            ["stage", "route", "reason"], registry=registry,
        )  # fmt: skip
        self.failovers = Counter(
            "voxnode_failovers", "Requests moved on to another service", ["service_type"],
            registry=registry,
        )  # fmt: skip
        self.llm_first_token_seconds = Histogram(
            "voxnode_llm_first_token_seconds",
            "OpenAI face: request to the first content of a stream, or to the whole answer",
            ["stream"], buckets=STAGE_BUCKETS, registry=registry,
        )  # fmt: skip
        self.llm_tokens_per_second = Histogram(
            "voxnode_llm_tokens_per_second",
            "OpenAI face: completion tokens the host reported over request-to-last-byte time",
            ["stream"], buckets=TOKEN_RATE_BUCKETS, registry=registry,
        )  # fmt: skip
        self.llm_tokens = Counter(
            "voxnode_llm_tokens", "Tokens the model hosts reported in usage", ["kind"],
            registry=registry,
        )  # fmt: skip

    def count_job(self, result: JobResult) -> None:
        """A finished job: its status, its time and each stage's, what degraded."""
        self.jobs.labels(result.status.value).inc()
        self.job_seconds.observe(result.timings.total_ms / 1000)
        for stage in (Stage.ASR, Stage.REPAIR, Stage.NMT, Stage.TTS):
            ms = getattr(result.timings, f"{stage.value}_ms")
            if ms:
                self.stage_seconds.labels(stage.value).observe(ms / 1000)
        for degraded in result.degraded:
            self.degradations.labels(degraded.stage.value, degraded.code).inc()
