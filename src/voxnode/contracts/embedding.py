"""Contract 2 for embedding services: `POST /v1/embeddings`, OpenAI-shaped.

VoxNode's additions are extra body fields that OpenAI clients leave out: `input_type`
(e5 embeds questions and passages with different prefixes) and `truncate` (an input past the
model's token limit is refused unless the caller accepts a cut).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from voxnode.contracts.service_request import ServiceRequest

MAX_EMBEDDING_INPUTS = 256
"""Inputs one request may carry."""


class InputType(StrEnum):
    QUERY = "query"
    """A question: e5's "query: " prefix."""
    PASSAGE = "passage"
    """Text to be found: e5's "passage: " prefix."""


class EmbeddingRequest(ServiceRequest):
    endpoint: ClassVar[str] = "/v1/embeddings"
    input: str | list[str] = Field(min_length=1)
    """One text or a batch (at most MAX_EMBEDDING_INPUTS)."""
    model: str = ""
    """The model asked for; an embedding service answers with its own and names it."""
    encoding_format: Literal["float"] = "float"
    input_type: InputType = InputType.QUERY
    truncate: bool = False
    """False: an input past the model's limit is a 400 INPUT_TOO_LONG naming its index.
    True: it is cut to the limit and its index is listed in `truncated`."""

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


class EmbeddingItem(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float]


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[EmbeddingItem]
    model: str
    usage: EmbeddingUsage
    truncated: list[int] = []
    """Indexes of the inputs that were cut to the model's limit (only with `truncate`)."""
    service_id: str | None = None
    """The node's addition on its own face: which service answered."""
