"""The CLI's way to the knowledge bases: the running node's /v1/kb when there is one (one
owner of the store), else the home's bases opened in this process, with the installed
embedding service started on demand. Both answer with the same contract models."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import httpx

from voxnode.api import kb_chat, kb_operations
from voxnode.contracts.errors import ErrorBody, VoxnodeError
from voxnode.contracts.knowledge import (
    KbChatAnswer,
    KbChatRequest,
    KbCreateRequest,
    KbDetail,
    KbImportReport,
    KbImportRequest,
    KbInfo,
    KbQueryRequest,
    KbQueryResponse,
)
from voxnode.contracts.node_event import EventType
from voxnode.contracts.node_settings import NodeSettings
from voxnode.knowledge.import_plan import ImportProgress
from voxnode.knowledge.knowledge_manager import KnowledgeManager
from voxnode.knowledge.node_knowledge import open_node_knowledge
from voxnode.pipeline.node_pipeline import NodePipeline, open_node_pipeline

OnProgress = Callable[[ImportProgress], None]


class KbAccess(Protocol):
    async def create(self, body: KbCreateRequest) -> KbInfo: ...
    async def bases(self) -> list[KbInfo]: ...
    async def detail(self, name: str) -> KbDetail: ...
    async def delete(self, name: str) -> None: ...
    async def delete_document(self, name: str, doc_id: str) -> None: ...
    async def import_file(
        self, name: str, body: KbImportRequest, progress: OnProgress | None
    ) -> KbImportReport: ...
    async def query(self, name: str, body: KbQueryRequest) -> KbQueryResponse: ...
    async def chat(self, name: str, body: KbChatRequest) -> KbChatAnswer: ...


class LocalKb:
    def __init__(self, kb: KnowledgeManager, pipeline: NodePipeline, settings: NodeSettings):
        self._kb = kb
        self._pipeline = pipeline
        self._llm_timeout_s = settings.pipeline.llm_timeout_ms / 1000

    async def create(self, body: KbCreateRequest) -> KbInfo:
        await self._kb.create(body.name, description=body.description)
        return await kb_operations.info(self._kb, body.name)

    async def bases(self) -> list[KbInfo]:
        return [await kb_operations.info(self._kb, name) for name in await self._kb.names()]

    async def detail(self, name: str) -> KbDetail:
        return await kb_operations.detail(self._kb, name)

    async def delete(self, name: str) -> None:
        await self._kb.delete(name)

    async def delete_document(self, name: str, doc_id: str) -> None:
        await kb_operations.delete_document(self._kb, name, doc_id)

    async def import_file(
        self, name: str, body: KbImportRequest, progress: OnProgress | None
    ) -> KbImportReport:
        source = await kb_operations.source_from_path(body)
        return await kb_operations.import_source(self._kb, name, source, progress)

    async def query(self, name: str, body: KbQueryRequest) -> KbQueryResponse:
        return await kb_operations.query(self._kb, name, body)

    async def chat(self, name: str, body: KbChatRequest) -> KbChatAnswer:
        pipeline = self._pipeline
        return await kb_chat.chat(
            self._kb, pipeline.client, pipeline.routes, name, body, timeout_s=self._llm_timeout_s
        )


class ApiKb:
    """/v1/kb of a running node; an import's progress comes from WS /v1/events."""

    def __init__(self, url: str, http: httpx.AsyncClient):
        self._url = url.rstrip("/")
        self._http = http

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http.request(method, self._url + path, json=body)
        except httpx.HTTPError as exc:
            raise VoxnodeError(f"node at {self._url}: {exc}", code="NODE_NOT_RUNNING") from exc
        if response.status_code >= 400:
            try:
                error = ErrorBody.model_validate_json(response.content).error
            except ValueError:
                raise VoxnodeError(f"HTTP {response.status_code}: {response.text[:300]}") from None
            raise VoxnodeError(error.message, code=error.code, status=response.status_code)
        return response.json() if response.content else None

    async def create(self, body: KbCreateRequest) -> KbInfo:
        return KbInfo.model_validate(await self._call("POST", "/v1/kb", body.model_dump()))

    async def bases(self) -> list[KbInfo]:
        answer = await self._call("GET", "/v1/kb")
        return [KbInfo.model_validate(row) for row in answer["bases"]]

    async def detail(self, name: str) -> KbDetail:
        return KbDetail.model_validate(await self._call("GET", f"/v1/kb/{name}"))

    async def delete(self, name: str) -> None:
        await self._call("DELETE", f"/v1/kb/{name}")

    async def delete_document(self, name: str, doc_id: str) -> None:
        await self._call("DELETE", f"/v1/kb/{name}/documents/{doc_id}")

    async def import_file(
        self, name: str, body: KbImportRequest, progress: OnProgress | None
    ) -> KbImportReport:
        call = self._call("POST", f"/v1/kb/{name}/import", body.model_dump())
        if progress is None:
            return KbImportReport.model_validate(await call)
        watch = asyncio.create_task(self._watch(name, progress))
        try:
            return KbImportReport.model_validate(await call)
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch

    async def _watch(self, name: str, progress: OnProgress) -> None:
        from websockets.asyncio.client import connect

        async with connect(self._url.replace("http", "ws", 1) + "/v1/events") as socket:
            async for message in socket:
                event = json.loads(message)
                if event["type"] == EventType.KB_IMPORT_PROGRESS and event["data"]["base"] == name:
                    progress(ImportProgress(**event["data"]))

    async def query(self, name: str, body: KbQueryRequest) -> KbQueryResponse:
        answer = await self._call("POST", f"/v1/kb/{name}/query", body.model_dump())
        return KbQueryResponse.model_validate(answer)

    async def chat(self, name: str, body: KbChatRequest) -> KbChatAnswer:
        answer = await self._call("POST", f"/v1/kb/{name}/chat", body.model_dump())
        return KbChatAnswer.model_validate(answer)


@contextlib.asynccontextmanager
async def open_kb_access(settings: NodeSettings, node_url: str | None) -> AsyncIterator[KbAccess]:
    if node_url is not None:
        async with httpx.AsyncClient(timeout=3600.0, trust_env=False) as http:
            yield ApiKb(node_url, http)
        return
    local = settings.model_copy(update={"autostart": False})
    async with (
        open_node_pipeline(local) as pipeline,
        open_node_knowledge(local, pipeline.client) as kb,
    ):
        if kb is None:
            raise VoxnodeError(
                "knowledge bases need the 'knowledge' extra: pip install 'voxnode[knowledge]'",
                code="KB_UNAVAILABLE",
            )
        yield LocalKb(kb, pipeline, local)
