"""Retrieval quality over a dev set: recall@1, recall@5 and MRR@5 of the gold passage among
the distinct documents of the hits (best first), query latency percentiles, and ingest
throughput. Rows: corpus `{id, title, text}`, queries `{id, question, doc_id}`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxnode.contracts.errors import BadInputError
from voxnode.evaluation.translation_metrics import percentiles


@dataclass(frozen=True, slots=True)
class RetrievalQuery:
    id: str
    question: str
    doc_id: str


def load_queries(path: Path, limit: int | None = None) -> list[RetrievalQuery]:
    rows = _rows(path)
    if not all(isinstance(r, dict) and "question" in r and "doc_id" in r for r in rows):
        raise BadInputError(f"{path}: every row needs question and doc_id", code="BAD_SET")
    queries = [
        RetrievalQuery(str(r.get("id", i)), r["question"], str(r["doc_id"]))
        for i, r in enumerate(rows)
    ]
    return queries[:limit] if limit else queries


def count_corpus(path: Path) -> int:
    rows = _rows(path)
    if not all(isinstance(r, dict) and "id" in r and "text" in r for r in rows):
        raise BadInputError(f"{path}: every row needs id and text", code="BAD_SET")
    return len(rows)


def distinct_documents(doc_ids: list[str]) -> list[str]:
    """Hits are chunks: the documents they come from, each once, in the order first met."""
    return list(dict.fromkeys(doc_ids))


@dataclass(slots=True)
class RetrievalScore:
    n: int = 0
    hits_at_1: int = 0
    hits_at_5: int = 0
    reciprocal_ranks: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, ranking: list[str], gold: str, latency_ms: float) -> None:
        """`ranking`: the distinct documents retrieved, best first."""
        self.n += 1
        top5 = ranking[:5]
        self.hits_at_1 += int(ranking[:1] == [gold])
        self.hits_at_5 += int(gold in top5)
        self.reciprocal_ranks += 1.0 / (top5.index(gold) + 1) if gold in top5 else 0.0
        self.latencies_ms.append(latency_ms)

    def summary(self) -> dict[str, Any]:
        n = max(self.n, 1)
        return {
            "queries": self.n,
            "recall@1": round(self.hits_at_1 / n, 3),
            "recall@5": round(self.hits_at_5 / n, 3),
            "mrr@5": round(self.reciprocal_ranks / n, 3),
            "latency_ms": percentiles(self.latencies_ms),
        }


def _rows(path: Path) -> list[Any]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: not a JSON Lines set ({exc})", code="BAD_SET") from exc
