"""What one job has gathered on its way through the stages (pipeline/job_orchestrator)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from voxnode.contracts.job import Degradation, JobRequest, JobResult, Stage
from voxnode.contracts.speech import Hypothesis
from voxnode.pipeline.job_stream import JobStream
from voxnode.pipeline.service_replies import ServiceCallError
from voxnode.routing.route_rules import Override


@dataclass(slots=True)
class JobRun:
    request: JobRequest
    result: JobResult
    started: float = field(default_factory=time.monotonic)
    nbest: list[Hypothesis] = field(default_factory=list)
    """The ASR's alternatives (when the job asked for them), for the repair service."""
    route: Override | None = None
    """The job's way (its own, else its session's preference)."""
    stream: JobStream | None = None
    """Told as the stages go; translates and speaks piece by piece (pipeline/job_stream)."""

    def degrade(self, stage: Stage, error: ServiceCallError) -> None:
        self.result.degraded.append(
            Degradation(stage=stage, code=error.code, message=error.message)
        )

    def timed(self, stage: Stage, since: float, service_ms: float | None = None) -> float:
        """Records the stage's time since `since` (and the service's own, when it said)."""
        elapsed = round((time.monotonic() - since) * 1000, 3)
        setattr(self.result.timings, f"{stage.value}_ms", elapsed)
        if service_ms is not None:
            self.result.service_times_ms[stage.value] = round(service_ms, 3)
        return elapsed
