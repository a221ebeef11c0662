"""What /v1/kb does, as plain functions over a KnowledgeManager: the routes call them, and so
does the CLI when no node runs (the same answers either way)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from voxnode.contracts.errors import BadInputError, NotFoundError
from voxnode.contracts.knowledge import (
    KbDetail,
    KbDocument,
    KbHit,
    KbImportReport,
    KbImportRequest,
    KbInfo,
    KbQueryRequest,
    KbQueryResponse,
)
from voxnode.knowledge.document_readers import read_documents
from voxnode.knowledge.import_plan import ImportProgress
from voxnode.knowledge.json_records import RecordFields
from voxnode.knowledge.knowledge_manager import KnowledgeManager
from voxnode.knowledge.text_units import detect_language


@dataclass(frozen=True, slots=True)
class ImportSource:
    filename: str
    data: bytes
    fields: RecordFields
    kind: str | None


async def source_from_path(body: KbImportRequest) -> ImportSource:
    path = Path(body.path)
    try:
        data = await asyncio.to_thread(lambda: path.expanduser().read_bytes())
    except OSError as exc:
        raise BadInputError(f"cannot read {path}: {exc.strerror}", code="NO_INPUT") from exc
    fields = RecordFields(body.id_field, body.title_field, tuple(body.text_fields))
    return ImportSource(path.name, data, fields, body.kind)


async def info(kb: KnowledgeManager, name: str) -> KbInfo:
    return KbInfo(**asdict(await kb.summary(name)))


async def detail(kb: KnowledgeManager, name: str) -> KbDetail:
    summary = await kb.summary(name)
    base = await kb.get(name)
    documents = [
        KbDocument(doc_id=doc_id, title=e.title, source=e.source, chunks=len(e.chunk_ids))
        for doc_id, e in sorted(base.documents.items())
    ]
    return KbDetail(**asdict(summary), document_list=documents)


async def delete_document(kb: KnowledgeManager, name: str, doc_id: str) -> None:
    if not await (await kb.get(name)).delete_document(doc_id):
        raise NotFoundError(f"{name} has no document {doc_id!r}", code="UNKNOWN_DOCUMENT")


async def import_source(
    kb: KnowledgeManager, name: str, source: ImportSource,
    progress: Callable[[ImportProgress], None] | None = None,
) -> KbImportReport:  # fmt: skip
    base = await kb.get(name)
    documents = await asyncio.to_thread(
        read_documents, source.filename, source.data, source.fields, kind=source.kind
    )
    report = await base.import_documents(documents, progress=progress)
    return KbImportReport(**asdict(report))


async def query(kb: KnowledgeManager, name: str, body: KbQueryRequest) -> KbQueryResponse:
    started = time.monotonic()
    base = await kb.get(name)
    hits = await base.query(
        body.query, top_k=body.top_k, min_cosine=body.min_cosine, mode=body.mode
    )
    weights = base.retriever.weights(body.query, body.mode)
    return KbQueryResponse(
        base=name, query=body.query, query_language=detect_language(body.query),
        weights={"dense": weights.dense, "keyword": weights.keyword},
        hits=[KbHit(**asdict(hit)) for hit in hits],
        took_ms=round((time.monotonic() - started) * 1000, 2),
    )  # fmt: skip
