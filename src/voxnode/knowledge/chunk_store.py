"""ChromaDB behind the few calls a knowledge base makes, embedded (a folder) or a server.

Each base is two collections: `vx-<base>-chunks` (one record per chunk: its e5 vector, its
text, doc_id, generation, state, title, source, position) and `vx-<base>-docs` (one record
per document: its content hash and the generation that is served; the vector is a
placeholder). Vectors are always given: the collections get an embedding function that
refuses, so ChromaDB never downloads its default model. Every call blocks (run it off the
event loop).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from voxnode.contracts.errors import NotFoundError, NotReadyError, VoxnodeError
from voxnode.knowledge.embedder import Vectors

PREFIX = "vx-"
CHUNKS, DOCS = "-chunks", "-docs"
LIVE, PENDING = "live", "pending"
"""A chunk's `state`: only live chunks are searched (the catalog decides what is served)."""
Metadata = dict[str, Any]


class UnknownKnowledgeBaseError(NotFoundError):
    code = "UNKNOWN_KB"


@functools.cache
def refusing_embedding_function() -> Any:
    """An EmbeddingFunction that raises: vectors come from VoxNode's embedder, never from
    ChromaDB (whose default function downloads a model). Built on first use, because
    chromadb is an optional extra."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class RefusingEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> Embeddings:
            raise VoxnodeError("ChromaDB was asked to embed; VoxNode always passes vectors")

        @staticmethod
        def name() -> str:
            return "voxnode-refuse"

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> RefusingEmbeddingFunction:
            return RefusingEmbeddingFunction()

    return RefusingEmbeddingFunction()


@dataclass(frozen=True, slots=True)
class StoredChunk:
    chunk_id: str
    text: str
    metadata: Metadata
    vector: Vectors | None = None


@dataclass(frozen=True, slots=True)
class DenseHit:
    chunk_id: str
    cosine: float
    text: str
    metadata: Metadata


def open_chroma(*, path: Path | None, url: str | None) -> Any:
    """A ChromaDB client: HTTP when `url` is given, else embedded and persistent at `path`."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    try:
        if url:
            parts = urlparse(url)
            return chromadb.HttpClient(
                host=parts.hostname or "127.0.0.1", port=parts.port or 8000,
                ssl=parts.scheme == "https", settings=settings,
            )  # fmt: skip
        assert path is not None
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:  # chromadb raises plain ValueError/ConnectError
        where = url or str(path)
        raise NotReadyError(f"ChromaDB at {where}: {exc}", code="KB_STORE_UNAVAILABLE") from exc


class ChunkStore:
    def __init__(self, client: Any):
        self._client = client
        self._handles: dict[str, Any] = {}

    def close(self) -> None:
        """Release the client (the SQLite files, or the HTTP session to the server)."""
        self._handles.clear()
        self._client.close()
        # an HTTP client's System leaves the sessions of the client and its admin client open
        for owner in (self._client, getattr(self._client, "_admin_client", None)):
            session = getattr(getattr(owner, "_server", None), "_session", None)
            if session is not None:
                session.close()

    def base_names(self) -> list[str]:
        names = [c if isinstance(c, str) else c.name for c in self._client.list_collections()]
        return sorted(
            n[len(PREFIX) : -len(DOCS)] for n in names if n.startswith(PREFIX) and n.endswith(DOCS)
        )

    def create(self, base: str, metadata: Metadata) -> None:
        self._collection(base, CHUNKS, metadata={})
        self._collection(base, DOCS, metadata=metadata)

    def base_metadata(self, base: str) -> Metadata:
        meta = self._collection(base, DOCS).metadata or {}
        return {k: v for k, v in meta.items() if not k.startswith("hnsw:")}

    def set_base_metadata(self, base: str, metadata: Metadata) -> None:
        own = {k: v for k, v in metadata.items() if not k.startswith("hnsw:")}
        self._collection(base, DOCS).modify(metadata=own)

    def drop(self, base: str) -> None:
        for suffix in (DOCS, CHUNKS):
            self._handles.pop(PREFIX + base + suffix, None)
            with contextlib.suppress(Exception):  # already gone: the end state asked for
                self._client.delete_collection(PREFIX + base + suffix)

    # ----- documents (the catalog)

    def documents(self, base: str) -> dict[str, Metadata]:
        got = self._collection(base, DOCS).get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def put_document(self, base: str, doc_id: str, metadata: Metadata) -> None:
        """One record write: the moment a new generation becomes the served one on disk."""
        self._collection(base, DOCS).upsert(
            ids=[doc_id], embeddings=[[0.0]], metadatas=[metadata], documents=[""]
        )

    def delete_document(self, base: str, doc_id: str) -> None:
        self._collection(base, DOCS).delete(ids=[doc_id])

    # ----- chunks

    def add_chunks(
        self, base: str, ids: Sequence[str], vectors: Vectors, texts: Sequence[str],
        metadatas: Sequence[Metadata],
    ) -> None:  # fmt: skip
        self._collection(base, CHUNKS).add(
            ids=list(ids), embeddings=vectors, documents=list(texts), metadatas=list(metadatas)
        )

    def mark_live(self, base: str, ids: Sequence[str], metadatas: Sequence[Metadata]) -> None:
        self._collection(base, CHUNKS).update(
            ids=list(ids), metadatas=[{**m, "state": LIVE} for m in metadatas]
        )

    def delete_generation(self, base: str, doc_id: str, generation: str) -> None:
        self._collection(base, CHUNKS).delete(
            where={"$and": [{"doc_id": doc_id}, {"gen": generation}]}
        )

    def delete_chunks(self, base: str, ids: Sequence[str]) -> None:
        if ids:
            self._collection(base, CHUNKS).delete(ids=list(ids))

    def all_chunks(self, base: str) -> list[StoredChunk]:
        got = self._collection(base, CHUNKS).get(include=["documents", "metadatas"])
        return [
            StoredChunk(i, d or "", dict(m or {}))
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]

    def get_chunks(self, base: str, ids: Sequence[str]) -> list[StoredChunk]:
        """The chunks with these ids, vectors included."""
        if not ids:
            return []
        got = self._collection(base, CHUNKS).get(
            ids=list(ids), include=["documents", "metadatas", "embeddings"]
        )
        return [
            StoredChunk(i, d or "", dict(m or {}), np.asarray(v, dtype=np.float32))
            for i, d, m, v in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
        ]

    def nearest(
        self, base: str, vector: Vectors, limit: int, language: str | None = None
    ) -> list[DenseHit]:
        """The `limit` live chunks nearest to `vector` (cosine), nearest first; only chunks
        in `language` when it is given."""
        collection = self._collection(base, CHUNKS)
        where: Metadata = {"state": LIVE}
        if language is not None:
            where = {"$and": [where, {"lang": language}]}
        got = collection.query(
            query_embeddings=[vector], n_results=limit, where=where,
            include=["distances", "documents", "metadatas"],
        )  # fmt: skip
        return [
            DenseHit(i, 1.0 - float(d), t or "", dict(m or {}))
            for i, d, t, m in zip(
                got["ids"][0],
                got["distances"][0],
                got["documents"][0],
                got["metadatas"][0],
                strict=True,
            )
        ]

    def chunk_count(self, base: str) -> int:
        return int(self._collection(base, CHUNKS).count())

    def _collection(self, base: str, suffix: str, metadata: Metadata | None = None) -> Any:
        """The collection (handles are kept); `metadata` given: created when missing."""
        name = PREFIX + base + suffix
        cached = self._handles.get(name)
        if cached is not None and metadata is None:
            return cached
        refuse = refusing_embedding_function()
        try:
            if metadata is None:
                handle = self._client.get_collection(name, embedding_function=refuse)
            else:
                space = {"hnsw:space": "cosine"} if suffix == CHUNKS else {}
                handle = self._client.get_or_create_collection(
                    name, embedding_function=refuse, metadata={**space, **metadata} or None
                )
        except Exception as exc:  # chromadb's NotFoundError, or the server's
            raise UnknownKnowledgeBaseError(f"no knowledge base {base!r}") from exc
        self._handles[name] = handle
        return handle
