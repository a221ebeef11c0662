"""Hybrid retrieval over one base: e5 nearest chunks (ChromaDB) and BM25 (in memory), fused
by weighted reciprocal rank (knowledge/fusion.py), with each hit's dense cosine computed
even when only BM25 found it, so a threshold on cosine means the same for every hit."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from voxnode.contracts.embedding import InputType
from voxnode.contracts.errors import BadInputError
from voxnode.knowledge.bm25_index import Bm25Index
from voxnode.knowledge.chunk_store import ChunkStore, Metadata
from voxnode.knowledge.embedder import Embedder, Vectors, deadline_in
from voxnode.knowledge.fusion import (
    FusionPolicy,
    FusionWeights,
    fusion_weights,
    reciprocal_rank_fusion,
)
from voxnode.knowledge.language_calibration import calibrated_ranking
from voxnode.knowledge.text_units import KeywordTokenizer, detect_language

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[str, ...] = ("hybrid", "dense", "keyword")


@dataclass(frozen=True, slots=True)
class RetrievalPolicy:
    candidates: int = 40
    """Chunks each ranking contributes before fusion."""
    fusion: FusionPolicy = field(default_factory=FusionPolicy)
    calibrate_languages: bool = True
    """In a base of several languages, rank e5's cosines per language (language_calibration)."""
    query_timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class RetrievedChunk:
    chunk_id: str
    doc_id: str
    text: str
    title: str
    section: str
    source: str
    position: int
    page: int | None
    score: float
    """The fused reciprocal-rank score (comparable within one answer)."""
    cosine: float
    """e5 cosine between the question and the chunk (comparable across questions)."""
    keyword_score: float | None
    """BM25 score when keyword search matched the chunk."""
    dense_rank: int | None
    keyword_rank: int | None


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    metadata: Metadata
    cosine: float


@dataclass(frozen=True, slots=True)
class Rankings:
    vector: Vectors
    dense: list[str]
    """Served chunk ids, nearest first."""
    keyword: list[tuple[str, float]]
    """(chunk id, BM25 score), best first."""
    candidates: dict[str, _Candidate]


class Retriever:
    def __init__(
        self, base: str, *, store: ChunkStore, embedder: Embedder, tokenizer: KeywordTokenizer,
        bm25: Bm25Index, policy: RetrievalPolicy, served: Callable[[str, str], bool],
        language_shares: Callable[[], dict[str, float]],
        check_model: Callable[[str], Awaitable[None]],
    ):  # fmt: skip
        self._base = base
        self._store = store
        self._embedder = embedder
        self._tokenizer = tokenizer
        self._bm25 = bm25
        self.policy = policy
        self._served = served
        self._shares = language_shares
        self._check_model = check_model

    def weights(self, question: str, mode: str) -> FusionWeights:
        if mode not in MODES:
            raise BadInputError(f"mode {mode!r}: one of {', '.join(MODES)}", code="BAD_MODE")
        if mode == "dense":
            return FusionWeights(1.0, 0.0)
        if mode == "keyword":
            return FusionWeights(0.0, 1.0)
        return fusion_weights(detect_language(question), self._shares(), self.policy.fusion)

    async def query(
        self, question: str, *, top_k: int, min_cosine: float | None, mode: str
    ) -> list[RetrievedChunk]:
        if not question.strip():
            raise BadInputError("the question is empty", code="EMPTY_QUERY")
        weights = self.weights(question, mode)
        if len(self._bm25) == 0:
            return []
        ranked = await self.rankings(question, keyword=weights.keyword > 0)
        candidates = dict(ranked.candidates)
        dense, keyword = ranked.dense, [chunk_id for chunk_id, _ in ranked.keyword]
        keyword_scores = dict(ranked.keyword)
        vector = ranked.vector
        fused = reciprocal_rank_fusion(
            dense if weights.dense else [], keyword, weights, self.policy.fusion.k
        )
        top = fused[: max(top_k * 3, top_k)]
        missing = [chunk_id for chunk_id, _ in top if chunk_id not in candidates]
        candidates.update(await asyncio.to_thread(self._fetch, missing, vector))
        dense_rank = {chunk_id: i for i, chunk_id in enumerate(dense, start=1)}
        keyword_rank = {chunk_id: i for i, chunk_id in enumerate(keyword, start=1)}
        results: list[RetrievedChunk] = []
        for chunk_id, score in top:
            found = candidates.get(chunk_id)
            if found is None or (min_cosine is not None and found.cosine < min_cosine):
                continue
            meta = found.metadata
            if not self._served(str(meta.get("doc_id")), str(meta.get("gen"))):
                continue
            results.append(
                RetrievedChunk(
                    chunk_id=chunk_id,
                    doc_id=str(meta.get("doc_id")),
                    text=found.text,
                    title=str(meta.get("title", "")),
                    section=str(meta.get("section", "")),
                    source=str(meta.get("source", "")),
                    position=int(meta.get("position", 0)),
                    page=int(meta["page"]) if meta.get("page") else None,
                    score=round(score, 6),
                    cosine=round(found.cosine, 4),
                    keyword_score=_rounded(keyword_scores.get(chunk_id)),
                    dense_rank=dense_rank.get(chunk_id),
                    keyword_rank=keyword_rank.get(chunk_id),
                )
            )
            if len(results) == top_k:
                break
        return results

    async def rankings(self, question: str, *, keyword: bool = True) -> Rankings:
        """Both rankings before fusion: the served chunks nearest to the question's e5
        vector, and BM25's best (`keyword` False: none)."""
        embedded = await self._embedder.embed(
            [question], input_type=InputType.QUERY,
            deadline=deadline_in(self.policy.query_timeout_s),
        )  # fmt: skip
        await self._check_model(embedded.model)
        vector = embedded.vectors[0]
        limit = self.policy.candidates
        languages = sorted(self._shares()) if self.policy.calibrate_languages else []
        if len(languages) < 2:
            groups = [await asyncio.to_thread(self._store.nearest, self._base, vector, limit)]
        else:  # a mixed base: each language's nearest, ranked against its own baseline
            groups = await asyncio.gather(
                *(asyncio.to_thread(self._store.nearest, self._base, vector, limit, lang)
                  for lang in languages)
            )  # fmt: skip
        candidates = {
            hit.chunk_id: _Candidate(hit.text, hit.metadata, hit.cosine)
            for group in groups
            for hit in group
            if self._served(str(hit.metadata.get("doc_id")), str(hit.metadata.get("gen")))
        }
        if len(groups) == 1:
            dense = list(candidates)
        else:
            by_language = {
                lang: [(h.chunk_id, h.cosine) for h in group if h.chunk_id in candidates]
                for lang, group in zip(languages, groups, strict=True)
            }
            dense = [chunk_id for chunk_id, _ in calibrated_ranking(by_language)[:limit]]
        keyword_hits = self._bm25.search(self._tokenizer.tokens(question), limit) if keyword else []
        return Rankings(vector, dense, keyword_hits, candidates)

    def _fetch(self, chunk_ids: list[str], vector: Vectors) -> dict[str, _Candidate]:
        """Text, metadata and cosine of chunks only BM25 found."""
        if not chunk_ids:
            return {}
        rows = self._store.get_chunks(self._base, chunk_ids)
        return {
            row.chunk_id: _Candidate(row.text, row.metadata, float(np.dot(row.vector, vector)))
            for row in rows
            if row.vector is not None
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 4)
