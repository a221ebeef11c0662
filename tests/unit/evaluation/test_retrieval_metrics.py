"""Retrieval metrics: recall@1/@5 and MRR@5 over distinct documents."""

from __future__ import annotations

import pytest

from voxnode.evaluation.retrieval_metrics import RetrievalScore, distinct_documents


def test_recall_and_mrr() -> None:
    score = RetrievalScore()
    score.add(["a", "b"], "a", 10.0)  # rank 1
    score.add(["x", "y", "a"], "a", 20.0)  # rank 3
    score.add(["x", "y", "z", "v", "w", "a"], "a", 30.0)  # rank 6: missed at 5
    summary = score.summary()
    assert (summary["recall@1"], summary["recall@5"]) == (0.333, 0.667)
    assert summary["mrr@5"] == pytest.approx(round((1 + 1 / 3) / 3, 3))
    assert summary["latency_ms"]["p50"] == 20.0


def test_chunks_of_one_document_count_once() -> None:
    assert distinct_documents(["a", "a", "b", "a", "c"]) == ["a", "b", "c"]
