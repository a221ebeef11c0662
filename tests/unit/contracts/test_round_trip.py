"""Every wire model round-trips through JSON unchanged."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from voxnode.contracts.embedding import (
    EmbeddingItem,
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingUsage,
    InputType,
)
from voxnode.contracts.errors import ErrorBody, ErrorCategory, ErrorDetail
from voxnode.contracts.knowledge import KbHit, KbImportRequest, KbQueryRequest, KbQueryResponse
from voxnode.contracts.node_event import EventType, NodeEvent
from voxnode.contracts.repair import Decision, DiffItem, RepairRequest, RepairResponse
from voxnode.contracts.service_status import ServiceState, ServiceStatus

SAMPLES: list[BaseModel] = [
    RepairRequest(
        job_id="j",
        session_id="s",
        utterance_index=3,
        lang="zh",
        text_in="会议是",
        quality_score=0.4,
        micro_context="上一句",
        meta={"nbest": ["a", "b"]},
        deadline_ms=500,
    ),
    RepairResponse(
        decision=Decision.REPAIR,
        text_out="会议室",
        confidence=0.8,
        reason_codes=["HOMOPHONE"],
        diff=[DiffItem.model_validate({"from": "是", "to": "室", "position": 2})],
        process_time_ms=12.5,
        service_id="semantic-repair-zh",
    ),
    ErrorBody(error=ErrorDetail(code="X", category=ErrorCategory.TRANSIENT, message="m")),
    NodeEvent(type=EventType.SERVICE_STATE, service_id="a", data={"state": "ready"}),
    NodeEvent(type=EventType.KB_IMPORT_PROGRESS, data={"base": "kb", "documents_done": 1}),
    EmbeddingRequest(input=["a", "b"], input_type=InputType.PASSAGE, truncate=True, deadline_ms=9),
    EmbeddingResponse(
        data=[EmbeddingItem(index=0, embedding=[0.5, -0.5])],
        model="m",
        usage=EmbeddingUsage(prompt_tokens=3, total_tokens=3),
        truncated=[0],
        service_id="e",
    ),
    KbImportRequest(path="/tmp/a.json", id_field="sku", text_fields=["body"], wait=False),
    KbQueryRequest(query="退款", top_k=3, min_cosine=0.8, mode="dense"),
    KbQueryResponse(
        base="kb",
        query="q",
        query_language="en",
        weights={"dense": 1.0, "keyword": 0.375},
        hits=[
            KbHit(
                chunk_id="d#g#0",
                doc_id="d",
                text="t",
                title="T",
                section="S",
                source="f.json#0",
                position=0,
                page=None,
                score=0.1,
                cosine=0.8,
                keyword_score=None,
                dense_rank=1,
                keyword_rank=None,
            )
        ],
        took_ms=4.2,
    ),
    ServiceStatus(
        service_id="a",
        name="A",
        type="asr",
        languages=["en"],
        subtype=None,
        version="1",
        installed_versions=["1"],
        state=ServiceState.READY,
        port=1,
        pid=2,
    ),
]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: type(s).__name__)
def test_round_trip(sample: BaseModel) -> None:
    again = type(sample).model_validate_json(sample.model_dump_json(by_alias=True))
    assert again == sample


def test_diff_uses_the_contract_field_name_from() -> None:
    item = DiffItem.model_validate({"from": "a", "to": "b", "position": 0})
    assert item.model_dump(by_alias=True) == {"from": "a", "to": "b", "position": 0}
