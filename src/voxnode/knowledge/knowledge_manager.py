"""The node's knowledge bases: create, list, open, delete; one ChromaDB client (embedded in
`<home>/knowledge/chroma`, or a server at `knowledge.chroma_url`)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voxnode.contracts.errors import BadInputError, ConflictError
from voxnode.contracts.node_settings import KnowledgeSettings
from voxnode.knowledge.chunk_store import ChunkStore, UnknownKnowledgeBaseError, open_chroma
from voxnode.knowledge.chunking import ChunkPolicy
from voxnode.knowledge.embedder import Embedder
from voxnode.knowledge.fusion import FusionPolicy
from voxnode.knowledge.knowledge_base import LANGUAGES_KEY, MODEL_KEY, KnowledgeBase
from voxnode.knowledge.retrieval import RetrievalPolicy
from voxnode.knowledge.text_units import KeywordTokenizer

log = logging.getLogger(__name__)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")
"""2-63 characters: lower-case letters, digits, '-' and '_' (ChromaDB needs 3-512 for the
collection name, which adds a prefix and a suffix)."""


@dataclass(frozen=True, slots=True)
class BaseSummary:
    name: str
    description: str
    created_at: float
    embedding_model: str | None
    documents: int
    chunks: int
    languages: dict[str, float]


class KnowledgeManager:
    def __init__(self, store: ChunkStore, *, embedder: Embedder, settings: KnowledgeSettings):
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._tokenizer = KeywordTokenizer()
        self._open: dict[str, KnowledgeBase] = {}
        self._opening = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` (an import the caller does not wait for) until it ends or close()."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background import failed: %s", task.exception())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def create(self, name: str, *, description: str = "") -> BaseSummary:
        if not NAME_PATTERN.match(name):
            raise BadInputError(
                f"knowledge base name {name!r}: 2-63 of a-z 0-9 - _, starting with a letter "
                "or digit", code="BAD_KB_NAME",
            )  # fmt: skip
        if name in await asyncio.to_thread(self._store.base_names):
            raise ConflictError(f"knowledge base {name!r} exists", code="KB_EXISTS")
        meta = {"vx_description": description, "vx_created_at": time.time()}
        await asyncio.to_thread(self._store.create, name, meta)
        return await self.summary(name)

    async def names(self) -> list[str]:
        return await asyncio.to_thread(self._store.base_names)

    async def get(self, name: str) -> KnowledgeBase:
        """The base, opened on first use (catalog and keyword index loaded)."""
        async with self._opening:
            base = self._open.get(name)
            if base is None:
                if name not in await asyncio.to_thread(self._store.base_names):
                    raise UnknownKnowledgeBaseError(f"no knowledge base {name!r}")
                base = self._new_base(name)
                await base.open()
                self._open[name] = base
            return base

    async def summary(self, name: str) -> BaseSummary:
        """From the catalog records alone: listing bases opens none of them."""
        meta: dict[str, Any] = await asyncio.to_thread(self._store.base_metadata, name)
        records = await asyncio.to_thread(self._store.documents, name)
        languages: Counter[str] = Counter()
        for record in records.values():
            languages.update(json.loads(str(record.get(LANGUAGES_KEY) or "{}")))
        total = sum(languages.values())
        return BaseSummary(
            name=name, description=str(meta.get("vx_description", "")),
            created_at=float(meta.get("vx_created_at", 0.0)),
            embedding_model=meta.get(MODEL_KEY), documents=len(records),
            chunks=sum(int(r.get("chunks", 0)) for r in records.values()),
            languages={k: round(n / total, 3) for k, n in languages.items()} if total else {},
        )  # fmt: skip

    async def delete(self, name: str) -> None:
        base = await self.get(name)
        async with base.importing():
            await asyncio.to_thread(self._store.drop, name)
            self._open.pop(name, None)

    def _new_base(self, name: str) -> KnowledgeBase:
        s = self._settings
        return KnowledgeBase(
            name, store=self._store, embedder=self._embedder, tokenizer=self._tokenizer,
            chunking=ChunkPolicy(s.chunk_tokens, s.chunk_overlap_tokens),
            retrieval=RetrievalPolicy(
                candidates=s.candidates,
                fusion=FusionPolicy(keyword=s.keyword_weight, k=s.rrf_k),
                query_timeout_s=s.query_timeout_s,
            ),
            embed_batch=s.embed_batch, embed_timeout_s=s.import_timeout_s,
        )  # fmt: skip


@asynccontextmanager
async def open_knowledge(
    settings: KnowledgeSettings, home: Path, *, embedder: Embedder
) -> AsyncIterator[KnowledgeManager]:
    """The manager over the configured store; background imports end with the block."""
    client = await asyncio.to_thread(
        open_chroma, path=settings.dir or home / "knowledge" / "chroma", url=settings.chroma_url
    )
    store = ChunkStore(client)
    manager = KnowledgeManager(store, embedder=embedder, settings=settings)
    try:
        yield manager
    finally:
        await manager.close()
        await asyncio.to_thread(store.close)
