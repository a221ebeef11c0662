"""job_assign -> JobRequest and JobResult -> job_result, field by field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from voxnode.agent import job_messages
from voxnode.agent.node_facts import parse_nvidia_smi
from voxnode.contracts.errors import ConflictError
from voxnode.contracts.job import Degradation, JobResult, JobStatus, Stage, StageTimings
from voxnode.contracts.scheduler_messages import JobAssign, PipelineFlags
from voxnode.contracts.speech import AudioFormat

ASSIGN = JobAssign(
    job_id="j", attempt_id=2, session_id="s", utterance_index=4, src_lang="auto",
    tgt_lang="en", audio="AAAA", audio_format="PCM16", sample_rate=8000, trace_id="t",
    context_text="before", is_manual_cut=False, group_id="g", part_index=1,
)  # fmt: skip


def result(**fields: object) -> JobResult:
    values: dict[str, object] = dict(
        job_id="j", session_id="s", utterance_index=4, status=JobStatus.OK, src_lang="zh",
        tgt_lang="en",
    )  # fmt: skip
    values.update(fields)
    return JobResult.model_validate(values)


def test_job_request_carries_the_pipeline_flags() -> None:
    request = job_messages.job_request(ASSIGN, AudioFormat.OPUS)
    assert request.audio_format is AudioFormat.PCM16 and request.sample_rate == 8000
    assert (request.want_repair, request.want_translation, request.want_audio) == (True,) * 3
    assert request.context_text == "before" and request.manual_cut is False
    assert request.output_format is AudioFormat.OPUS
    asr_only = ASSIGN.model_copy(update={"pipeline": PipelineFlags(use_nmt=False)})
    request = job_messages.job_request(asr_only, AudioFormat.WAV)
    assert not request.want_translation and not request.want_audio
    with pytest.raises(ValueError):
        job_messages.job_request(ASSIGN.model_copy(update={"audio_format": "aac"}), AudioFormat.WAV)


def test_a_result_in_lingua_fields() -> None:
    timings = StageTimings(asr_ms=10, repair_ms=2, nmt_ms=30, tts_ms=5, total_ms=48.6)
    done = result(text_asr="a", text_repaired="b", text_translated="c", quality_score=0.5,
                  timings=timings, audio="UklG", audio_format=AudioFormat.WAV, sample_rate=24000,
                  asr_language_probability=0.97, reason_codes=["R"])  # fmt: skip
    message = job_messages.result_message(ASSIGN, "node-1", done)
    assert message.success and message.error is None
    assert (message.attempt_id, message.group_id, message.part_index) == (2, "g", 1)
    assert (message.tts_audio, message.tts_format, message.tts_sample_rate) == (
        "UklG",
        "wav",
        24000,
    )
    assert message.asr_quality_level == "suspect" and message.processing_time_ms == 49
    assert message.extra is not None and message.extra.service_timings is not None
    assert message.extra.service_timings.semantic_ms == 2
    assert message.extra.language_probability == 0.97
    assert (message.text_repaired, message.src_lang) == ("b", "zh")


def test_failures_name_the_stage_and_use_lingua_codes() -> None:
    failed = result(
        status=JobStatus.FAILED,
        degraded=[Degradation(stage=Stage.ASR, code="SERVICE_UNAVAILABLE", message="none")],
    )
    message = job_messages.result_message(ASSIGN, "n", failed)
    assert not message.success and message.error is not None
    assert (message.error.code, message.error.details) == ("SERVICE_UNAVAILABLE", {"stage": "asr"})
    conflict = ConflictError("taken", code="DUPLICATE_UTTERANCE")
    refused = job_messages.error_message(ASSIGN, "n", conflict)
    assert refused.error is not None and refused.error.code == "DUPLICATE_UTTERANCE_INDEX"
    merged = job_messages.result_message(ASSIGN, "n", result(status=JobStatus.MERGED))
    assert merged.success and merged.extra is not None
    assert merged.extra.reason == "NO_TEXT_ASSIGNED"
    assert [job_messages.quality_level(q) for q in (0.9, 0.4, 0.1, None)] == [
        "good", "suspect", "bad", None,
    ]  # fmt: skip


def test_nvidia_smi_lines() -> None:
    gpus = parse_nvidia_smi("NVIDIA H100 80GB HBM3, 81559, 1024, 7\nbad line\nX, [N/A], 1, 2\n")
    assert [(g.name, g.memory_total_mb, g.utilization_percent) for g in gpus] == [
        ("NVIDIA H100 80GB HBM3", 81559.0, 7.0),
    ]  # fmt: skip


def test_a_job_assign_without_audio_is_refused() -> None:
    with pytest.raises(ValidationError):
        JobAssign.model_validate({"job_id": "j", "session_id": "s", "utterance_index": 0,
                                  "src_lang": "en", "tgt_lang": "zh"})  # fmt: skip


def test_two_way_auto_translates_into_the_other_language_of_the_pair() -> None:
    two_way = ASSIGN.model_copy(
        update={"mode": "two_way_auto", "lang_a": "zh", "lang_b": "en", "tgt_lang": "en"}
    )
    request = job_messages.job_request(two_way, AudioFormat.WAV)
    assert (request.src_lang, request.tgt_lang, request.lang_pair) == ("auto", "auto", ("zh", "en"))
    assert request.target_for("zh") == "en"
    assert request.target_for("en-US") == "zh"
    assert request.target_for("ja") == "zh"  # neither: the pair's first language
    one_way = job_messages.job_request(ASSIGN, AudioFormat.WAV)
    assert one_way.lang_pair is None and one_way.target_for("zh") == "en"
