"""What a knowledge base embeds with: the `Embedder` protocol, and the node's implementation
that calls an embedding service through the one service client."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voxnode.contracts.embedding import EmbeddingRequest, EmbeddingResponse, InputType
from voxnode.contracts.service_manifest import ServiceType
from voxnode.pipeline.service_client import ServiceClient

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class EmbeddedBatch:
    vectors: Vectors
    """(N, dim), L2-normalised."""
    model: str
    truncated: tuple[int, ...] = ()
    """Indexes of the texts the embedder had to cut to its limit."""


class Embedder(Protocol):
    async def embed(
        self, texts: Sequence[str], *, input_type: InputType, deadline: float
    ) -> EmbeddedBatch:
        """Embed `texts` by `deadline` (time.monotonic()), cutting a text past the model's
        limit rather than failing (the cut is reported)."""
        ...


def normalised(rows: Sequence[Sequence[float]]) -> Vectors:
    vectors = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


class ServiceEmbedder:
    """POST /v1/embeddings on the best ready embedding service (ServiceType.EMBEDDING)."""

    def __init__(self, client: ServiceClient, *, batch_size: int = 32):
        self._client = client
        self._batch_size = batch_size

    async def embed(
        self, texts: Sequence[str], *, input_type: InputType, deadline: float
    ) -> EmbeddedBatch:
        parts: list[Vectors] = []
        truncated: list[int] = []
        model = ""
        for begin in range(0, len(texts), self._batch_size):
            batch = list(texts[begin : begin + self._batch_size])
            request = EmbeddingRequest(input=batch, input_type=input_type, truncate=True)
            reply = await self._client.call(
                ServiceType.EMBEDDING, [], request, EmbeddingResponse, deadline=deadline
            )
            answer = reply.body
            ordered = sorted(answer.data, key=lambda item: item.index)
            parts.append(normalised([item.embedding for item in ordered]))
            truncated.extend(begin + i for i in answer.truncated)
            model = answer.model
        if not parts:
            return EmbeddedBatch(np.zeros((0, 0), dtype=np.float32), model)
        return EmbeddedBatch(np.concatenate(parts), model, tuple(truncated))


def deadline_in(seconds: float) -> float:
    return time.monotonic() + seconds
