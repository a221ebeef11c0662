"""What a knowledge base serves: for each document the generation whose chunks are
searched, the BM25 index over exactly those chunks, and the base's language shares. Every
change is one synchronous step (`serve`), so no search sees a mix of two generations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from voxnode.knowledge.bm25_index import Bm25Index
from voxnode.knowledge.chunk_store import Metadata


@dataclass(slots=True)
class CatalogEntry:
    generation: str
    content_hash: str
    title: str
    source: str
    chunk_ids: tuple[str, ...]
    languages: Counter[str] = field(default_factory=Counter)


class ServedCatalog:
    def __init__(self) -> None:
        self.entries: dict[str, CatalogEntry] = {}
        self.bm25 = Bm25Index()
        self._languages: Counter[str] = Counter()

    def serves(self, doc_id: str, generation: str) -> bool:
        entry = self.entries.get(doc_id)
        return entry is not None and entry.generation == generation

    def language_shares(self) -> dict[str, float]:
        total = sum(self._languages.values())
        return {lang: n / total for lang, n in self._languages.items()} if total else {}

    @property
    def chunk_count(self) -> int:
        return len(self.bm25)

    def serve(self, doc_id: str, entry: CatalogEntry | None, tokens: dict[str, list[str]]) -> None:
        """`doc_id` is served as `entry` from now on (None: no longer served)."""
        old = self.entries.pop(doc_id, None)
        if old is not None:
            for chunk_id in old.chunk_ids:
                self.bm25.remove(chunk_id)
            self._languages.subtract(old.languages)
        if entry is not None:
            self.entries[doc_id] = entry
            for chunk_id in entry.chunk_ids:
                self.bm25.add(chunk_id, tokens.get(chunk_id, []))
            self._languages.update(entry.languages)
        self._languages = +self._languages


def embedded_text(meta: Metadata, text: str) -> str:
    """What e5 and BM25 see: the document's title and section, then the chunk (titles
    carry the topic a chunk's own sentences often leave out)."""
    heading = " > ".join(str(meta[k]) for k in ("title", "section") if meta.get(k))
    return f"{heading}\n{text}" if heading else text
