"""Every contract-5 message survives JSON both ways, and parsing picks it by `type`."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from voxnode.contracts.scheduler_messages import (
    AsrPartial,
    CapabilityByType,
    ErrorInfo,
    GpuInfo,
    Hardware,
    InstalledModel,
    InstalledService,
    JobAck,
    JobAssign,
    JobCancel,
    JobResultMessage,
    LanguageCapabilities,
    LanguagePair,
    NodeControl,
    NodeError,
    NodeHeartbeat,
    NodeRegister,
    NodeRegisterAck,
    PipelineFlags,
    ResourceUsage,
    ResultExtra,
    SegmentsMeta,
    ServiceTimings,
    node_message,
    scheduler_message,
)

LANGUAGES = LanguageCapabilities(
    asr_languages=["en", "zh"], tts_languages=["zh"], semantic_languages=["en", "zh"],
    semantic_core_ready=True, repair_languages=["zh"],
    pairs=[LanguagePair(src="en", tgt="zh", speech_out=True)],
)  # fmt: skip
SERVICE = InstalledService(
    service_id="asr-whisper", type="asr", device="cpu", status="running", version="1.0.0",
    model_id="whisper-base-ct2", warmup_ms=900, languages=["en", "zh"],
)  # fmt: skip
CAPABILITY = CapabilityByType(type="asr", ready=True, ready_impl_ids=["asr-whisper"])

FROM_NODE: list[BaseModel] = [
    NodeRegister(
        version="0.1.0", platform="linux",
        hardware=Hardware(cpu_cores=2, memory_gb=23.5, gpus=[GpuInfo(name="H100", memory_gb=80)]),
        installed_models=[InstalledModel(model_id="m", kind="asr", version="abc")],
        installed_services=[SERVICE], capability_by_type=[CAPABILITY],
        language_capabilities=LANGUAGES,
    ),
    NodeHeartbeat(
        node_id="node-1", timestamp=1_700_000_000_000,
        resource_usage=ResourceUsage(cpu_percent=12.5, mem_percent=40, running_jobs=1,
                                     gpu_percent=3, gpu_mem_percent=9),
        installed_services=[SERVICE], capability_by_type=[CAPABILITY],
        language_capabilities=LANGUAGES, running_job_ids=["j"], draining=True,
    ),
    JobAck(job_id="j", attempt_id=2, node_id="node-1", session_id="s", trace_id="t"),
    JobResultMessage(
        job_id="j", attempt_id=2, node_id="node-1", session_id="s", utterance_index=3,
        success=True, text_asr="a", text_translated="b", tts_audio="UklGRg==",
        tts_format="wav", processing_time_ms=12, trace_id="t", asr_quality_level="good",
        extra=ResultExtra(service_timings=ServiceTimings(asr_ms=1, nmt_ms=2, total_ms=4),
                          language_probability=0.98),
        reason_codes=["X"], quality_score=0.8, segments_meta=SegmentsMeta(
            count=2, max_gap=0.3, avg_duration=1.5), degraded_stages=["tts"],
    ),
    JobResultMessage(
        job_id="j", node_id="n", session_id="s", utterance_index=0, success=False,
        error=ErrorInfo(code="PROCESSING_ERROR", message="m", details={"stage": "asr"}),
    ),
    AsrPartial(job_id="j", node_id="n", session_id="s", utterance_index=0, text="hi",
               is_final=False, trace_id="t"),
    NodeError(node_id="n", code="DUPLICATE_JOB_ID", message="m", details={"job_id": "j"}),
]  # fmt: skip
FROM_SCHEDULER: list[BaseModel] = [
    NodeRegisterAck(node_id="node-1", message="ok", status="ready"),
    JobAssign(
        job_id="j", attempt_id=1, session_id="s", utterance_index=0, src_lang="auto",
        tgt_lang="en", pipeline=PipelineFlags(use_tts=False), audio="AAA=",
        audio_format="opus", sample_rate=16000, trace_id="t", context_text="c",
        lang_a="zh", lang_b="en", is_manual_cut=False,
    ),
    JobCancel(job_id="j", trace_id="t", reason="timeout"),
    NodeControl(command="drain", reason="maintenance"),
]  # fmt: skip


@pytest.mark.parametrize("message", FROM_NODE, ids=lambda m: type(m).__name__)
def test_node_messages_round_trip(message: BaseModel) -> None:
    assert node_message.validate_json(message.model_dump_json()) == message
    again = node_message.validate_json(message.model_dump_json(exclude_none=True))
    assert again == message


@pytest.mark.parametrize("message", FROM_SCHEDULER, ids=lambda m: type(m).__name__)
def test_scheduler_messages_round_trip(message: BaseModel) -> None:
    assert scheduler_message.validate_json(message.model_dump_json()) == message


def test_every_message_type_is_covered() -> None:
    kinds = {m.model_dump()["type"] for m in FROM_NODE + FROM_SCHEDULER}
    assert kinds == {
        "node_register", "node_heartbeat", "job_ack", "job_result", "asr_partial",
        "node_error", "node_register_ack", "job_assign", "job_cancel", "node_control",
    }  # fmt: skip


def test_unknown_fields_are_ignored_and_unknown_types_refused() -> None:
    ack = scheduler_message.validate_json(
        '{"type": "node_register_ack", "node_id": "n", "pool_hint": 3}'
    )
    assert ack == NodeRegisterAck(node_id="n")
    with pytest.raises(ValidationError):
        scheduler_message.validate_json('{"type": "reboot_now"}')
    with pytest.raises(ValidationError):
        scheduler_message.validate_json('{"type": "job_assign", "job_id": "j"}')
