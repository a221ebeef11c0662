"""What an import has to do, decided before any work: documents whose content hash is
unchanged are skipped, changed ones replace the served version, new ones are added; a
doc_id given twice in one import keeps its first document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from voxnode.knowledge.source_document import SourceDocument


@dataclass(frozen=True, slots=True)
class DocumentPlan:
    document: SourceDocument
    content_hash: str
    replaces: bool
    """A version of this doc_id is served now (and stays served until this one is done)."""


@dataclass(frozen=True, slots=True)
class ImportPlan:
    todo: list[DocumentPlan]
    unchanged: int
    duplicates: list[str]


def plan_import(
    documents: Sequence[SourceDocument], known: Mapping[str, str], recipe: str
) -> ImportPlan:
    """`known`: doc_id -> content hash of what is served."""
    todo: list[DocumentPlan] = []
    seen: set[str] = set()
    duplicates: list[str] = []
    unchanged = 0
    for document in documents:
        if document.doc_id in seen:
            duplicates.append(document.doc_id)
            continue
        seen.add(document.doc_id)
        digest = document.content_hash(recipe)
        served = known.get(document.doc_id)
        if served == digest:
            unchanged += 1
        else:
            todo.append(DocumentPlan(document, digest, replaces=served is not None))
    return ImportPlan(todo, unchanged, duplicates)


@dataclass(frozen=True, slots=True)
class ImportProgress:
    base: str
    documents_done: int
    """Skipped, added or replaced so far."""
    documents_total: int
    chunks_done: int
    doc_id: str | None
    """The document just finished, when there is one."""


@dataclass(slots=True)
class ImportReport:
    base: str
    documents: int
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    duplicates: list[str] = field(default_factory=list)
    chunks: int = 0
    truncated_chunks: int = 0
    """Chunks the embedder had to cut (the chunker's estimate ran over e5's 512 tokens)."""
    seconds: float = 0.0
