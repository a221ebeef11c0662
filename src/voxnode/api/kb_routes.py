"""/v1/kb: knowledge bases (create, list, show, delete, import, delete a document, query,
chat: a question answered by the LLM host from the base's passages, with citations).

An import takes a path on the node's machine (a JSON body, KbImportRequest) or the file
itself as the raw body (any other content type, `?filename=NAME.ext` and the same options
as query parameters). Progress goes out as `kb_import_progress` events on WS /v1/events;
with `wait: false` the route answers 202 at once and `kb_import_finished` tells the end.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from voxnode.api import kb_chat, kb_operations
from voxnode.api.kb_operations import ImportSource
from voxnode.api.llm_timing import LlmTiming
from voxnode.api.node_state import NodeState, node_state
from voxnode.contracts.errors import BadInputError, VoxnodeError
from voxnode.contracts.knowledge import (
    KbChatAnswer,
    KbChatRequest,
    KbCreateRequest,
    KbDetail,
    KbImportReport,
    KbImportRequest,
    KbImportStarted,
    KbInfo,
    KbList,
    KbQueryRequest,
    KbQueryResponse,
)
from voxnode.contracts.node_event import EventType, NodeEvent
from voxnode.knowledge.import_plan import ImportProgress
from voxnode.knowledge.json_records import RecordFields
from voxnode.knowledge.knowledge_manager import KnowledgeManager

router = APIRouter(prefix="/v1/kb", tags=["knowledge"])


def knowledge(node: NodeState = Depends(node_state)) -> KnowledgeManager:
    return node.knowledge_bases()


@router.post("", status_code=201)
async def create_base(body: KbCreateRequest, kb: KnowledgeManager = Depends(knowledge)) -> KbInfo:
    await kb.create(body.name, description=body.description)
    return await kb_operations.info(kb, body.name)


@router.get("")
async def list_bases(kb: KnowledgeManager = Depends(knowledge)) -> KbList:
    return KbList(bases=[await kb_operations.info(kb, name) for name in await kb.names()])


@router.get("/{name}")
async def show_base(name: str, kb: KnowledgeManager = Depends(knowledge)) -> KbDetail:
    return await kb_operations.detail(kb, name)


@router.delete("/{name}", status_code=204)
async def delete_base(name: str, kb: KnowledgeManager = Depends(knowledge)) -> None:
    await kb.delete(name)


@router.delete("/{name}/documents/{doc_id:path}", status_code=204)
async def delete_document(
    name: str, doc_id: str, kb: KnowledgeManager = Depends(knowledge)
) -> None:
    await kb_operations.delete_document(kb, name, doc_id)


@router.post("/{name}/query")
async def query_base(
    name: str, body: KbQueryRequest, kb: KnowledgeManager = Depends(knowledge)
) -> KbQueryResponse:
    return await kb_operations.query(kb, name, body)


@router.post("/{name}/chat")
async def chat_with_base(
    name: str, body: KbChatRequest, node: NodeState = Depends(node_state),
    kb: KnowledgeManager = Depends(knowledge),
) -> KbChatAnswer:  # fmt: skip
    answer = await kb_chat.chat(
        kb, node.client, node.routes, name, body,
        timeout_s=node.settings.pipeline.llm_timeout_ms / 1000,
    )  # fmt: skip
    answered_s = (answer.took_ms - answer.retrieval_ms) / 1000
    node.monitor.record_llm(LlmTiming(False, answered_s, answered_s, answer.usage))
    return answer


@router.post("/{name}/import", response_model=None)
async def import_documents(
    name: str, request: Request, node: NodeState = Depends(node_state),
    kb: KnowledgeManager = Depends(knowledge),
) -> KbImportReport | JSONResponse:  # fmt: skip
    source, wait = await _import_request(request)
    await kb.get(name)  # an unknown base is a 404 now, not an event later

    def progress(step: ImportProgress) -> None:
        node.host.events.publish(NodeEvent(type=EventType.KB_IMPORT_PROGRESS, data=asdict(step)))

    async def run() -> KbImportReport:
        try:
            report = await kb_operations.import_source(kb, name, source, progress)
        except VoxnodeError as exc:
            failed = {"base": name, "error": exc.body().model_dump(mode="json")}
            node.host.events.publish(NodeEvent(type=EventType.KB_IMPORT_FINISHED, data=failed))
            raise
        node.host.events.publish(
            NodeEvent(type=EventType.KB_IMPORT_FINISHED, data=report.model_dump())
        )
        return report

    if wait:
        return await run()
    kb.spawn(run())
    return JSONResponse(KbImportStarted(base=name).model_dump(), status_code=202)


async def _import_request(request: Request) -> tuple[ImportSource, bool]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = KbImportRequest.model_validate_json(await request.body())
        except ValueError as exc:
            raise BadInputError(f"invalid import request: {exc}", code="INVALID_REQUEST") from exc
        return await kb_operations.source_from_path(body), body.wait
    params: Any = request.query_params
    filename = params.get("filename")
    if not filename:
        raise BadInputError("an uploaded file needs ?filename=NAME.ext", code="NO_FILENAME")
    fields = RecordFields(
        params.get("id_field"), params.get("title_field"), tuple(params.getlist("text_fields"))
    )
    wait = params.get("wait", "true").lower() not in ("false", "0", "no")
    source = ImportSource(Path(filename).name, await request.body(), fields, params.get("kind"))
    return source, wait
