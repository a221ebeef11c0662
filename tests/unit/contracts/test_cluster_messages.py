"""Every cluster wire model round-trips through JSON unchanged (all of them: by reflection)."""

from __future__ import annotations

import inspect

import pytest
from pydantic import BaseModel

from voxnode.contracts import cluster_messages
from voxnode.contracts.cluster_messages import (
    CancelNotice,
    ClusterJob,
    DeadLetter,
    DeadLetterCause,
    JobOutcome,
    NodePresence,
    OutcomeKind,
)
from voxnode.contracts.errors import ErrorCategory, ErrorDetail
from voxnode.contracts.job import JobRequest, JobResult, JobStatus
from voxnode.contracts.scheduler_messages import (
    CapabilityByType,
    LanguageCapabilities,
    LanguagePair,
)

REQUEST = JobRequest(job_id="j1", session_id="s", utterance_index=2, src_lang="zh",
                     tgt_lang="en", text="你好", want_audio=False)  # fmt: skip
RESULT = JobResult(job_id="j1", session_id="s", utterance_index=2, status=JobStatus.OK,
                   src_lang="zh", tgt_lang="en", text_translated="hello")  # fmt: skip
REASON = ErrorDetail(code="MAX_DELIVERIES", category=ErrorCategory.TRANSIENT, message="m")
JOB = ClusterJob(job_id="j1", client_id="c1", request=REQUEST, submitted_at=1.5)
SAMPLES: list[BaseModel] = [
    JOB,
    JobOutcome(
        job_id="j1",
        client_id="c1",
        session_id="s",
        utterance_index=2,
        kind=OutcomeKind.RESULT,
        result=RESULT,
        node_id="a",
        attempts=1,
        finished_at=2.5,
    ),
    DeadLetter(
        job_id="j1",
        client_id="c1",
        subject="jobs.zh.en",
        cause=DeadLetterCause.MAX_DELIVERIES,
        reason=REASON,
        attempts=3,
        node_id="b",
        job=JOB,
        last_result=RESULT,
        at=3.5,
    ),
    NodePresence(
        node_id="a",
        hostname="h",
        pid=1,
        version="0.1.0",
        pairs=[LanguagePair(src="zh", tgt="en", speech_out=False)],
        language_capabilities=LanguageCapabilities(asr_languages=["zh"]),
        capability_by_type=[CapabilityByType(type="asr", ready=True, ready_impl_ids=["a"])],
        running=1,
        max_jobs=4,
        jobs_done=7,
        started_at=1.0,
        at=2.0,
    ),
    CancelNotice(job_id="j1", client_id="c1"),
]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: type(s).__name__)
def test_round_trip(sample: BaseModel) -> None:
    again = type(sample).model_validate_json(sample.model_dump_json())
    assert again == sample


def test_every_model_has_a_sample() -> None:
    models = {
        cls for _, cls in inspect.getmembers(cluster_messages, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == cluster_messages.__name__
    }  # fmt: skip
    assert models == {type(s) for s in SAMPLES}


def test_job_and_client_ids_are_single_tokens() -> None:
    with pytest.raises(ValueError, match="pattern"):
        ClusterJob(job_id="a.b", client_id="c", request=REQUEST)
