"""A document as importers read it, before chunking: an id, a title, where it came from, and
its sections (Markdown headings, PDF pages, or the whole text)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    """The heading path ("Install > Linux"), or "" for the whole text."""
    text: str
    page: int | None = None
    """The PDF page it is (1-based)."""


@dataclass(frozen=True, slots=True)
class SourceDocument:
    doc_id: str
    title: str
    source: str
    """The file (and record) it came from, as the user gave it."""
    sections: tuple[Section, ...]

    def content_hash(self, recipe: str) -> str:
        """sha256 of what the index is built from: title, sections and `recipe` (how it is
        chunked and embedded), so a change of any of them re-imports the document."""
        digest = hashlib.sha256(recipe.encode())
        for part in (self.title, *(f"{s.title}\x1f{s.page}\x1f{s.text}" for s in self.sections)):
            digest.update(b"\x1e" + part.encode("utf-8"))
        return digest.hexdigest()

    @property
    def is_empty(self) -> bool:
        return not any(s.text.strip() for s in self.sections)
