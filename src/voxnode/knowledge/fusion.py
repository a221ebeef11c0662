"""How dense (e5 cosine) and keyword (BM25) rankings become one: pure functions.

Weighted reciprocal rank fusion: a chunk scores sum(w / (k + rank)) over the rankings it is
in. BM25 is not multilingual: a Chinese question shares only names, numbers and Latin words
with an English text, so the keyword weight falls with the share of the base written in
another language than the question's (to `other_language` times its weight for a base
wholly in another language). On the dev sets (bench/retrieval_fusion.py) k=10 and keyword
0.75 were best or tied-best on both languages; on the cross-language questions a keyword
weight between 0.25 and 1.0 never fell below dense-only, and leaving BM25 out lost the
names and numbers it matches (zh questions over the English base: recall@5 0.633 dense-only
against 0.667-0.70 fused), so it is halved rather than dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FusionWeights:
    dense: float
    keyword: float


@dataclass(frozen=True, slots=True)
class FusionPolicy:
    dense: float = 1.0
    keyword: float = 0.75
    """Keyword weight when the whole base is in the question's language."""
    other_language: float = 0.5
    """Factor on the keyword weight for the part of the base in another language."""
    k: int = 10
    """Rank offset of reciprocal rank fusion: smaller favours each ranking's first hits."""


def fusion_weights(
    query_language: str, base_shares: Mapping[str, float], policy: FusionPolicy = FusionPolicy()
) -> FusionWeights:
    """Weights for one question. `base_shares`: language -> share of the base's chunks.
    A question with no letters ("und": numbers, codes) keeps the full keyword weight."""
    if query_language == "und" or not base_shares:
        return FusionWeights(policy.dense, policy.keyword)
    share = min(max(base_shares.get(query_language, 0.0), 0.0), 1.0)
    factor = share + (1.0 - share) * policy.other_language
    return FusionWeights(policy.dense, round(policy.keyword * factor, 6))


def reciprocal_rank_fusion(
    dense: Sequence[str], keyword: Sequence[str], weights: FusionWeights, k: int
) -> list[tuple[str, float]]:
    """Chunk ids of both rankings (best first) fused, best first; ties keep dense order."""
    scores: dict[str, float] = {}
    for ranking, weight in ((dense, weights.dense), (keyword, weights.keyword)):
        if weight <= 0:
            continue
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    order = {chunk_id: i for i, chunk_id in enumerate([*dense, *keyword])}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
