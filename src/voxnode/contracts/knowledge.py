"""The node's knowledge base face (/v1/kb): requests and answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from voxnode.contracts.openai import DEFAULT_MODEL, ChatMessageIn, UsageOut


class KbCreateRequest(BaseModel):
    name: str = Field(min_length=2, max_length=63)
    description: str = ""


class KbInfo(BaseModel):
    name: str
    description: str
    created_at: float
    embedding_model: str | None
    """Set by the first import; a base answers only to the model it was built with."""
    documents: int
    chunks: int
    languages: dict[str, float]
    """Share of the chunks in each detected language."""


class KbList(BaseModel):
    bases: list[KbInfo]


class KbDocument(BaseModel):
    doc_id: str
    title: str
    source: str
    chunks: int


class KbDetail(KbInfo):
    document_list: list[KbDocument]


class KbImportRequest(BaseModel):
    """A file on the node's machine; an upload goes to the same route as multipart form
    data (`file`, and these fields as form fields)."""

    path: str = Field(min_length=1)
    kind: str | None = None
    """json | jsonl | md | txt | pdf; None: from the file's suffix."""
    id_field: str | None = None
    title_field: str | None = None
    text_fields: list[str] = []
    """JSON records: the fields that are the text (default: all but the id and the title)."""
    wait: bool = True
    """False: answer 202 at once with the import running (progress on WS /v1/events)."""


class KbImportReport(BaseModel):
    base: str
    documents: int
    added: int
    replaced: int
    unchanged: int
    duplicates: list[str]
    chunks: int
    truncated_chunks: int
    seconds: float


class KbImportStarted(BaseModel):
    base: str
    status: Literal["running"] = "running"


class KbQueryRequest(BaseModel):
    query: str = Field(min_length=1, max_length=4000)
    top_k: int = Field(5, ge=1, le=100)
    min_cosine: float | None = Field(None, ge=-1, le=1)
    """Drop chunks whose e5 cosine to the question is below this (e5-small's unrelated
    pairs sit around 0.7-0.8)."""
    mode: Literal["hybrid", "dense", "keyword"] = "hybrid"


class KbHit(BaseModel):
    chunk_id: str
    doc_id: str
    text: str
    title: str
    section: str
    source: str
    position: int
    page: int | None
    score: float
    """Fused reciprocal-rank score: orders the hits of one answer."""
    cosine: float
    """e5 cosine of question and chunk: comparable across questions."""
    keyword_score: float | None
    dense_rank: int | None
    keyword_rank: int | None


class KbQueryResponse(BaseModel):
    base: str
    query: str
    query_language: str
    weights: dict[str, float]
    hits: list[KbHit]
    took_ms: float


class KbChatRequest(BaseModel):
    """POST /v1/kb/{name}/chat: a question answered by the LLM host from the base's passages."""

    question: str = Field(min_length=1, max_length=4000)
    history: list[ChatMessageIn] = Field([], max_length=40)
    """Earlier turns (user and assistant), oldest first; the passages are found for the
    question alone."""
    top_k: int = Field(5, ge=1, le=20)
    min_cosine: float | None = Field(None, ge=-1, le=1)
    mode: Literal["hybrid", "dense", "keyword"] = "hybrid"
    context_tokens: int = Field(1500, ge=50, le=16000)
    """Passages beyond this many (estimated) tokens are left out, the lowest ranked first."""
    model: str = DEFAULT_MODEL
    max_tokens: int = Field(400, ge=1, le=4096)
    temperature: float = Field(0.2, ge=0, le=2)
    route: Literal["local", "cloud", "auto"] | None = None


class KbCitation(BaseModel):
    number: int
    """The [n] the passage had in the prompt and has in the answer."""
    cited: bool
    """The answer cites it."""
    attributed: bool = False
    """The node added the marker, not the model: a sentence of the answer that named no
    passage is mostly this passage's words (knowledge/citation_matching.py)."""
    chunk_id: str
    doc_id: str
    title: str
    section: str
    source: str
    position: int
    page: int | None
    cosine: float
    text: str


class KbChatAnswer(BaseModel):
    base: str
    question: str
    answer: str
    """The model's answer; [n] markers that name no passage are taken out."""
    citations: list[KbCitation]
    """Every passage the model was given, in prompt order, each marked cited or not."""
    dropped_markers: list[int]
    """[n] markers the answer held that named no passage (removed from `answer`)."""
    grounded: bool
    """False when no passage was found: the model was told so and asked to say it."""
    model: str
    usage: UsageOut | None
    service_id: str
    route: str
    route_reason: str
    retrieval_ms: float
    took_ms: float
