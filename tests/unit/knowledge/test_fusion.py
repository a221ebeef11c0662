"""Fusion weights by the question's and the base's languages, and reciprocal rank fusion."""

from __future__ import annotations

import pytest

from voxnode.knowledge.fusion import (
    FusionPolicy,
    FusionWeights,
    fusion_weights,
    reciprocal_rank_fusion,
)

POLICY = FusionPolicy(dense=1.0, keyword=0.8, other_language=0.5, k=10)


@pytest.mark.parametrize(
    ("question", "shares", "keyword"),
    [
        ("zh", {"zh": 1.0}, 0.8),  # same language: full keyword weight
        ("en", {"zh": 1.0}, 0.4),  # cross-language: BM25 only matches names and numbers
        ("zh", {"en": 1.0}, 0.4),
        ("zh", {"zh": 0.5, "en": 0.5}, 0.6),  # a mixed base: in between
        ("en", {"zh": 0.75, "en": 0.25}, 0.5),
        ("und", {"zh": 1.0}, 0.8),  # "2016" or a product code: keywords are what matter
        ("en", {}, 0.8),  # an empty base
        ("fr", {"en": 0.9, "und": 0.1}, 0.4),
    ],
)
def test_keyword_weight_follows_the_share_of_the_base_in_the_question_language(
    question: str, shares: dict[str, float], keyword: float
) -> None:
    assert fusion_weights(question, shares, POLICY) == FusionWeights(1.0, pytest.approx(keyword))


def test_rrf_sums_both_rankings_and_keeps_dense_order_on_ties() -> None:
    fused = reciprocal_rank_fusion(["a", "b", "c"], ["c", "d"], FusionWeights(1.0, 1.0), k=10)
    scores = dict(fused)
    assert [chunk for chunk, _ in fused] == ["c", "a", "b", "d"]
    assert scores["c"] == pytest.approx(1 / 13 + 1 / 11)
    assert scores["a"] == pytest.approx(1 / 11)
    tie = reciprocal_rank_fusion(["x"], ["y"], FusionWeights(1.0, 1.0), k=10)
    assert [chunk for chunk, _ in tie] == ["x", "y"]


def test_a_zero_weight_leaves_a_ranking_out() -> None:
    fused = reciprocal_rank_fusion(["a"], ["b"], FusionWeights(1.0, 0.0), k=10)
    assert fused == [("a", pytest.approx(1 / 11))]
    assert reciprocal_rank_fusion([], ["b", "a"], FusionWeights(0.0, 1.0), k=10)[0][0] == "b"


def test_fused_scores_are_not_all_the_same() -> None:
    fused = reciprocal_rank_fusion(
        list("abcdef"), list("fedcba"[:3]), FusionWeights(1.0, 0.75), k=10
    )
    assert len({round(score, 9) for _, score in fused}) == len(fused)
