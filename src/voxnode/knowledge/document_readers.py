"""Files to documents, by suffix: .json/.jsonl records, Markdown (sections at headings),
plain text, PDF (a section per page). Readers take bytes, so an upload and a path on the
node's machine go the same way."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import PurePath

from voxnode.contracts.errors import BadInputError
from voxnode.knowledge.json_records import RecordFields, record_documents, records_of
from voxnode.knowledge.source_document import Section, SourceDocument

Reader = Callable[[str, bytes, RecordFields], list[SourceDocument]]
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class UnsupportedFormatError(BadInputError):
    code = "UNSUPPORTED_FORMAT"


def read_json(name: str, data: bytes, fields: RecordFields) -> list[SourceDocument]:
    return record_documents(name, records_of(name, data, lines=False), fields)


def read_jsonl(name: str, data: bytes, fields: RecordFields) -> list[SourceDocument]:
    return record_documents(name, records_of(name, data, lines=True), fields)


def read_markdown(name: str, data: bytes, fields: RecordFields) -> list[SourceDocument]:
    """One document; a section per heading, titled by its heading path."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    fenced = False
    title = ""

    def close() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(" > ".join(t for _, t in path), text))
        lines.clear()

    for line in _text(name, data).splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        close()
        level, text = len(heading.group(1)), heading.group(2)
        path[:] = [(lv, t) for lv, t in path if lv < level] + [(level, text)]
        title = title or (text if level == 1 else "")
    close()
    return [SourceDocument(name, title or _stem(name), name, tuple(sections))]


def read_text(name: str, data: bytes, fields: RecordFields) -> list[SourceDocument]:
    return [SourceDocument(name, _stem(name), name, (Section("", _text(name, data)),))]


def read_pdf(name: str, data: bytes, fields: RecordFields) -> list[SourceDocument]:
    """A section per page with text (a scanned PDF has none: refused, not imported empty)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or _stem(name)
    except (PyPdfError, ValueError, KeyError) as exc:
        raise BadInputError(f"{name}: not a readable PDF ({exc})", code="BAD_PDF") from exc
    sections = tuple(Section("", t.strip(), page=i) for i, t in enumerate(pages, 1) if t.strip())
    if not sections:
        raise BadInputError(f"{name}: no text in the PDF (scanned pages?)", code="PDF_NO_TEXT")
    return [SourceDocument(name, str(title), name, sections)]


READERS: dict[str, Reader] = {
    ".json": read_json, ".jsonl": read_jsonl, ".md": read_markdown, ".markdown": read_markdown,
    ".txt": read_text, ".text": read_text, ".pdf": read_pdf,
}  # fmt: skip


def read_documents(
    name: str, data: bytes, fields: RecordFields = RecordFields(), *, kind: str | None = None
) -> list[SourceDocument]:
    """The documents in file `name` (its suffix, or `kind` such as "md", picks the reader)."""
    suffix = f".{kind.lstrip('.')}" if kind else PurePath(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise UnsupportedFormatError(
            f"{name}: cannot import {suffix or 'a file without a suffix'} "
            f"(known: {', '.join(sorted(READERS))})"
        )
    return [d for d in reader(name, data, fields) if not d.is_empty]


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{name}: not UTF-8 text", code="BAD_ENCODING") from exc


def _stem(name: str) -> str:
    return PurePath(name).stem
