"""One knowledge base: incremental, all-or-nothing import per document, and hybrid retrieval.

Visibility: a document's new chunks are written as `pending` under a fresh generation; they
are served only after every one of them is written, when the document's catalog record (one
ChromaDB write) names the new generation and, in the same step on the event loop, the
in-memory catalog and BM25 index switch over. Searches keep only chunks of the generation
the catalog serves, so a half-written document is never returned, and a crash at any point
leaves the previous version searchable (the next open deletes the orphaned chunks).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voxnode.contracts.embedding import InputType
from voxnode.contracts.errors import ConflictError, ErrorCategory, VoxnodeError
from voxnode.knowledge.chunk_store import PENDING, ChunkStore, Metadata
from voxnode.knowledge.chunking import ChunkPolicy, chunk_text
from voxnode.knowledge.embedder import Embedder, deadline_in
from voxnode.knowledge.import_plan import DocumentPlan, ImportProgress, ImportReport, plan_import
from voxnode.knowledge.retrieval import RetrievalPolicy, RetrievedChunk, Retriever
from voxnode.knowledge.served_catalog import CatalogEntry, ServedCatalog, embedded_text
from voxnode.knowledge.source_document import SourceDocument
from voxnode.knowledge.text_units import KeywordTokenizer, detect_language

log = logging.getLogger(__name__)
Progress = Callable[[ImportProgress], None]
MODEL_KEY = "vx_model"
KEYWORDS_KEY = "kw"
"""A live chunk's BM25 words (space-separated): opening a base does not run jieba again."""
LANGUAGES_KEY = "langs"
"""A document record's chunk count per language (JSON): a summary needs no open base."""


class ImportFailedError(VoxnodeError):
    """A document could not be indexed; those before it were, and an import again goes on
    from there (unchanged documents are skipped)."""

    code = "KB_IMPORT_FAILED"
    category = ErrorCategory.TRANSIENT
    status = 503


class KnowledgeBase:
    def __init__(
        self, name: str, *, store: ChunkStore, embedder: Embedder, tokenizer: KeywordTokenizer,
        chunking: ChunkPolicy, retrieval: RetrievalPolicy, embed_batch: int = 32,
        embed_timeout_s: float = 300.0,
    ):  # fmt: skip
        self.name = name
        self._store = store
        self._embedder = embedder
        self._tokenizer = tokenizer
        self._chunking = chunking
        self._embed_batch = embed_batch
        self._embed_timeout_s = embed_timeout_s
        self._served = ServedCatalog()
        self._import_lock = asyncio.Lock()
        self.retriever = Retriever(
            name, store=store, embedder=embedder, tokenizer=tokenizer, bm25=self._served.bm25,
            policy=retrieval, served=self._served.serves,
            language_shares=self._served.language_shares, check_model=self._check_model,
        )  # fmt: skip

    @property
    def recipe(self) -> str:
        return f"chunk={self._chunking.max_tokens}/{self._chunking.overlap_tokens};title"

    # ----- opening

    async def open(self) -> None:
        """Catalog and keyword index from the store; chunks no catalog record serves (left by
        an import that did not finish) are deleted."""
        documents = await asyncio.to_thread(self._store.documents, self.name)
        chunks = await asyncio.to_thread(self._store.all_chunks, self.name)
        by_doc: dict[str, list[tuple[str, str | list[str], str]]] = {}
        orphans = []
        for chunk in chunks:
            meta = chunk.metadata
            record = documents.get(str(meta.get("doc_id")))
            if record is None or record.get("gen") != meta.get("gen"):
                orphans.append(chunk.chunk_id)
                continue
            kept = meta.get(KEYWORDS_KEY)  # BM25's words, kept when the chunk went live
            words = str(kept).split() if isinstance(kept, str) else embedded_text(meta, chunk.text)
            by_doc.setdefault(str(meta["doc_id"]), []).append(
                (chunk.chunk_id, words, str(meta.get("lang", "und")))
            )
        tokens = await asyncio.to_thread(
            lambda: {
                cid: w if isinstance(w, list) else self._tokenizer.tokens(w)
                for rows in by_doc.values()
                for cid, w, _ in rows
            }
        )
        for doc_id, record in documents.items():
            rows = by_doc.get(doc_id, [])
            entry = CatalogEntry(
                str(record.get("gen")), str(record.get("hash")), str(record.get("title", "")),
                str(record.get("source", "")), tuple(cid for cid, _, _ in rows),
                Counter(lang for _, _, lang in rows),
            )  # fmt: skip
            self._served.serve(doc_id, entry, {cid: tokens[cid] for cid, _, _ in rows})
        if orphans:
            log.info("%s: removing %d chunks of unfinished imports", self.name, len(orphans))
            await asyncio.to_thread(self._store.delete_chunks, self.name, orphans)

    def importing(self) -> asyncio.Lock:
        """Held by an import or a delete: take it to change the base as a whole."""
        return self._import_lock

    # ----- what is served

    def language_shares(self) -> dict[str, float]:
        return self._served.language_shares()

    @property
    def documents(self) -> dict[str, CatalogEntry]:
        return self._served.entries

    @property
    def chunk_count(self) -> int:
        """Chunks served (a running import's pending chunks are not counted)."""
        return self._served.chunk_count

    async def stored_chunk_count(self) -> int:
        """Chunks in the store, pending ones included."""
        return await asyncio.to_thread(self._store.chunk_count, self.name)

    # ----- import

    async def import_documents(
        self, documents: Sequence[SourceDocument], *, progress: Progress | None = None
    ) -> ImportReport:
        async with self._import_lock:
            started = time.monotonic()
            known = {doc_id: entry.content_hash for doc_id, entry in self._served.entries.items()}
            plan = await asyncio.to_thread(plan_import, documents, known, self.recipe)
            report = ImportReport(
                base=self.name, documents=len(documents), unchanged=plan.unchanged,
                duplicates=plan.duplicates,
            )  # fmt: skip
            done = plan.unchanged
            _notify(progress, report, done, None)
            queue = await asyncio.to_thread(lambda: [self._prepare(doc) for doc in plan.todo])
            pending: list[_PreparedDocument] = []
            batch: list[tuple[_PreparedDocument, int]] = []
            for prepared in queue:
                pending.append(prepared)
                for index in range(len(prepared.texts)):
                    batch.append((prepared, index))
                    if len(batch) >= self._embed_batch:
                        await self._write(batch, pending, report)
                        batch = []
                done += await self._commit_finished(pending, report)
                _notify(progress, report, done, prepared.plan.document.doc_id)
            if batch:
                await self._write(batch, pending, report)
            done += await self._commit_finished(pending, report)
            report.seconds = round(time.monotonic() - started, 3)
            _notify(progress, report, done, None)
            return report

    def _prepare(self, plan: DocumentPlan) -> _PreparedDocument:
        document = plan.document
        generation = uuid.uuid4().hex[:12]
        ids, texts, metas = [], [], []
        position = 0
        for section in document.sections:
            for chunk in chunk_text(section.text, self._chunking):
                meta: Metadata = {
                    "doc_id": document.doc_id, "gen": generation, "state": PENDING,
                    "title": document.title, "section": section.title, "source": document.source,
                    "position": position, "start": chunk.start, "lang": detect_language(chunk.text),
                    "page": section.page or 0,
                }  # fmt: skip
                ids.append(f"{document.doc_id}#{generation}#{position}")
                texts.append(chunk.text)
                metas.append(meta)
                position += 1
        return _PreparedDocument(plan, generation, ids, texts, metas)

    async def _write(
        self, batch: list[tuple[_PreparedDocument, int]], pending: list[_PreparedDocument],
        report: ImportReport,
    ) -> None:  # fmt: skip
        """Embed and write one batch of chunks (pending: not served yet)."""
        texts = [embedded_text(doc.metas[i], doc.texts[i]) for doc, i in batch]
        try:
            embedded = await self._embedder.embed(
                texts, input_type=InputType.PASSAGE, deadline=deadline_in(self._embed_timeout_s)
            )
            await self._check_model(embedded.model)
            await asyncio.to_thread(
                self._store.add_chunks, self.name, [doc.ids[i] for doc, i in batch],
                embedded.vectors, [doc.texts[i] for doc, i in batch],
                [doc.metas[i] for doc, i in batch],
            )  # fmt: skip
        except Exception as exc:  # the embedder's VoxnodeError, or the store's own errors
            await self._abandon(pending)
            reason = (
                exc.message if isinstance(exc, VoxnodeError) else f"{type(exc).__name__}: {exc}"
            )
            raise ImportFailedError(
                f"{self.name}: {report.added + report.replaced} documents imported, then "
                f"{batch[0][0].plan.document.doc_id!r} failed: {reason}"
            ) from exc
        report.truncated_chunks += len(embedded.truncated)
        for doc, _ in batch:
            doc.written += 1

    async def _commit_finished(self, pending: list[_PreparedDocument], report: ImportReport) -> int:
        committed = 0
        while pending and pending[0].written == len(pending[0].ids):
            doc = pending.pop(0)
            await self._commit(doc)
            if doc.plan.replaces:
                report.replaced += 1
            else:
                report.added += 1
            report.chunks += len(doc.ids)
            committed += 1
        return committed

    async def _commit(self, doc: _PreparedDocument) -> None:
        document = doc.plan.document
        tokens = await asyncio.to_thread(
            lambda: {cid: self._tokenizer.tokens(embedded_text(m, t))
                     for cid, t, m in zip(doc.ids, doc.texts, doc.metas, strict=True)}
        )  # fmt: skip
        if doc.ids:
            live = [
                {**m, KEYWORDS_KEY: " ".join(tokens[c])}
                for c, m in zip(doc.ids, doc.metas, strict=True)
            ]
            await asyncio.to_thread(self._store.mark_live, self.name, doc.ids, live)
        languages = Counter(str(m["lang"]) for m in doc.metas)
        record: Metadata = {
            "gen": doc.generation, "hash": doc.plan.content_hash, "title": document.title,
            "source": document.source, "chunks": len(doc.ids), "imported_at": time.time(),
            LANGUAGES_KEY: json.dumps(dict(languages)),
        }  # fmt: skip
        await asyncio.to_thread(self._store.put_document, self.name, document.doc_id, record)
        old = self._served.entries.get(document.doc_id)
        entry = CatalogEntry(
            doc.generation, doc.plan.content_hash, document.title, document.source,
            tuple(doc.ids), languages,
        )  # fmt: skip
        self._served.serve(document.doc_id, entry, tokens)
        if old is not None:
            await asyncio.to_thread(
                self._store.delete_generation, self.name, document.doc_id, old.generation
            )

    async def _abandon(self, pending: list[_PreparedDocument]) -> None:
        for doc in pending:
            try:
                await asyncio.to_thread(
                    self._store.delete_generation, self.name, doc.plan.document.doc_id,
                    doc.generation,
                )  # fmt: skip
            except Exception:  # the next open removes them
                log.warning("%s: pending chunks of %s stay until the next open", self.name, doc)

    async def _check_model(self, model: str) -> None:
        meta = await asyncio.to_thread(self._store.base_metadata, self.name)
        known = meta.get(MODEL_KEY)
        if not known:
            await asyncio.to_thread(
                self._store.set_base_metadata, self.name, {**meta, MODEL_KEY: model}
            )
        elif known != model:
            raise ConflictError(
                f"{self.name} was built with the embedding model {known}, the embedding service "
                f"now answers with {model}: create a new base for it",
                code="EMBEDDING_MODEL_MISMATCH",
            )

    # ----- delete and query

    async def delete_document(self, doc_id: str) -> bool:
        async with self._import_lock:
            entry = self._served.entries.get(doc_id)
            if entry is None:
                return False
            self._served.serve(doc_id, None, {})
            await asyncio.to_thread(self._store.delete_document, self.name, doc_id)
            await asyncio.to_thread(
                self._store.delete_generation, self.name, doc_id, entry.generation
            )
            return True

    async def query(
        self, text: str, *, top_k: int = 5, min_cosine: float | None = None, mode: str = "hybrid"
    ) -> list[RetrievedChunk]:
        return await self.retriever.query(text, top_k=top_k, min_cosine=min_cosine, mode=mode)


@dataclass(slots=True)
class _PreparedDocument:
    plan: DocumentPlan
    generation: str
    ids: list[str]
    texts: list[str]
    metas: list[Metadata]
    written: int = 0


def _notify(progress: Progress | None, report: ImportReport, done: int, doc_id: str | None) -> None:
    if progress is not None:
        progress(ImportProgress(report.base, done, report.documents, report.chunks, doc_id))
