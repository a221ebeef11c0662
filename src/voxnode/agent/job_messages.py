"""lingua's job_assign -> our JobRequest, and our JobResult -> lingua's job_result."""

from __future__ import annotations

import time

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.job import JobRequest, JobResult, JobStatus
from voxnode.contracts.scheduler_messages import (
    ErrorInfo,
    JobAssign,
    JobResultMessage,
    ResultExtra,
    ServiceTimings,
)
from voxnode.contracts.speech import AudioFormat

QUALITY_GOOD, QUALITY_SUSPECT = 0.7, 0.4
"""lingua's asr_quality_level thresholds on the quality score."""
ERROR_NAMES = {"DUPLICATE_UTTERANCE": "DUPLICATE_UTTERANCE_INDEX"}
"""Our error codes under the names lingua's scheduler knows."""


def job_request(assign: JobAssign, tts_format: AudioFormat) -> JobRequest:
    """Raises ValueError (pydantic) on what our pipeline cannot take (an unknown format)."""
    flags = assign.pipeline
    two_way = assign.mode == "two_way_auto" and assign.lang_a and assign.lang_b
    return JobRequest(
        job_id=assign.job_id,
        session_id=assign.session_id,
        utterance_index=assign.utterance_index,
        src_lang="auto" if two_way else assign.src_lang,
        tgt_lang="auto" if two_way else assign.tgt_lang,
        lang_pair=(assign.lang_a, assign.lang_b) if two_way else None,
        audio=assign.audio,
        audio_format=AudioFormat(assign.audio_format.lower()),
        sample_rate=assign.sample_rate,
        want_repair=flags.use_semantic,
        want_translation=flags.use_nmt,
        want_audio=flags.use_nmt and flags.use_tts,
        output_format=tts_format,
        context_text=assign.context_text,
        manual_cut=assign.is_manual_cut,
    )


def quality_level(score: float | None) -> str | None:
    if score is None:
        return None
    if score >= QUALITY_GOOD:
        return "good"
    return "suspect" if score >= QUALITY_SUSPECT else "bad"


def result_message(assign: JobAssign, node_id: str, result: JobResult) -> JobResultMessage:
    failed = result.status is JobStatus.FAILED
    error = None
    if failed:
        first = result.degraded[0] if result.degraded else None
        error = ErrorInfo(
            code=first.code if first else "PROCESSING_ERROR",
            message=first.message if first else "the job produced no text",
            details={"stage": first.stage.value} if first else None,
        )
    t = result.timings
    timings = ServiceTimings(
        asr_ms=t.asr_ms, semantic_ms=t.repair_ms, nmt_ms=t.nmt_ms, tts_ms=t.tts_ms,
        total_ms=t.total_ms,
    )  # fmt: skip
    return JobResultMessage(
        **_echo(assign, node_id),
        success=not failed,
        text_asr=result.text_asr,
        text_translated=result.text_translated,
        tts_audio=result.audio,
        tts_format=result.audio_format.value if result.audio_format else None,
        extra=ResultExtra(
            service_timings=timings,
            language_probability=result.asr_language_probability,
            reason="NO_TEXT_ASSIGNED" if result.status is JobStatus.MERGED else None,
            asr_quality_score=result.quality_score,
        ),
        processing_time_ms=round(t.total_ms),
        error=error,
        asr_quality_level=quality_level(result.quality_score),
        reason_codes=result.reason_codes,
        quality_score=(
            result.translation_quality
            if result.translation_quality is not None
            else result.quality_score
        ),
        text_repaired=result.text_repaired,
        src_lang=result.src_lang,
        tts_sample_rate=result.sample_rate,
        degraded_stages=[d.stage.value for d in result.degraded],
    )


def failure_message(
    assign: JobAssign, node_id: str, code: str, message: str, **details: object
) -> JobResultMessage:
    return JobResultMessage(
        **_echo(assign, node_id),
        success=False,
        error=ErrorInfo(code=ERROR_NAMES.get(code, code), message=message, details=details or None),
    )


def error_message(assign: JobAssign, node_id: str, exc: VoxnodeError) -> JobResultMessage:
    return failure_message(
        assign, node_id, exc.code, exc.message, category=exc.category.value, status=exc.status
    )


def _echo(assign: JobAssign, node_id: str) -> dict[str, object]:
    """The fields a job_result repeats from its job_assign."""
    return {
        "job_id": assign.job_id, "attempt_id": assign.attempt_id, "node_id": node_id,
        "session_id": assign.session_id, "utterance_index": assign.utterance_index,
        "trace_id": assign.trace_id, "group_id": assign.group_id,
        "part_index": assign.part_index, "node_completed_at_ms": int(time.time() * 1000),
    }  # fmt: skip
