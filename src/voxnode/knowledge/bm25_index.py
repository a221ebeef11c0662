"""An in-memory BM25 (Okapi) index that grows and shrinks chunk by chunk.

It holds only the chunks a knowledge base serves (rebuilt from the store when a base opens),
so a chunk written by an unfinished import is never matched by keyword.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bm25Params:
    k1: float = 1.2
    b: float = 0.75


class Bm25Index:
    def __init__(self, params: Bm25Params = Bm25Params()):
        self.params = params
        self._postings: dict[str, dict[str, int]] = {}
        self._terms: dict[str, Counter[str]] = {}
        self._lengths: dict[str, int] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._lengths

    def add(self, chunk_id: str, tokens: list[str]) -> None:
        if chunk_id in self._lengths:
            self.remove(chunk_id)
        counts = Counter(tokens)
        self._terms[chunk_id] = counts
        self._lengths[chunk_id] = len(tokens)
        self._total_length += len(tokens)
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[chunk_id] = tf

    def remove(self, chunk_id: str) -> None:
        counts = self._terms.pop(chunk_id, None)
        if counts is None:
            return
        self._total_length -= self._lengths.pop(chunk_id)
        for term in counts:
            posting = self._postings[term]
            del posting[chunk_id]
            if not posting:
                del self._postings[term]

    def search(self, tokens: list[str], limit: int) -> list[tuple[str, float]]:
        """The `limit` best chunks with a positive score, best first."""
        n = len(self._lengths)
        if n == 0:
            return []
        k1, b = self.params.k1, self.params.b
        average = self._total_length / n or 1.0
        scores: dict[str, float] = {}
        for term in set(tokens):
            posting = self._postings.get(term)
            if not posting:
                continue
            idf = math.log(1 + (n - len(posting) + 0.5) / (len(posting) + 0.5))
            for chunk_id, tf in posting.items():
                norm = k1 * (1 - b + b * self._lengths[chunk_id] / average)
                scores[chunk_id] = scores.get(chunk_id, 0.0) + idf * tf * (k1 + 1) / (tf + norm)
        return heapq.nlargest(limit, scores.items(), key=lambda item: item[1])
