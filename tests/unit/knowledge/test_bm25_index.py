"""The in-memory BM25 index: scores, growth and removal chunk by chunk."""

from __future__ import annotations

import math

from voxnode.knowledge.bm25_index import Bm25Index, Bm25Params


def test_scores_follow_okapi_and_removal_restores_the_index() -> None:
    index = Bm25Index(Bm25Params(k1=1.2, b=0.75))
    index.add("a", ["contract", "friday", "send"])
    index.add("b", ["meeting", "three", "o'clock"])
    index.add("c", ["contract", "contract", "price", "lawyer", "draft", "sign"])
    hits = index.search(["contract"], 10)
    assert [chunk for chunk, _ in hits] == ["c", "a"]  # twice the term beats a shorter text
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    average = 12 / 3
    expected_a = idf * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * 3 / average))
    assert hits[1][1] == expected_a
    assert index.search(["unknown"], 10) == []
    assert len(index) == 3 and "b" in index

    index.remove("c")
    index.remove("c")  # twice is harmless
    assert [chunk for chunk, _ in index.search(["contract", "price"], 10)] == ["a"]
    index.add("a", ["meeting"])  # re-adding replaces
    assert index.search(["contract"], 10) == []
    assert [chunk for chunk, _ in index.search(["meeting"], 1)] == ["a"]


def test_an_empty_index_finds_nothing() -> None:
    assert Bm25Index().search(["x"], 5) == []
