"""JSON records (an array, JSON Lines, or an object holding one array) as documents: which
field is the id, the title and the text is configurable; by default the id and title come
from the usual names and every other field is the text, nested values flattened to
`key.sub: value` lines a person (and e5) can read."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from voxnode.contracts.errors import BadInputError
from voxnode.knowledge.source_document import Section, SourceDocument

ID_FIELDS = ("id", "_id", "doc_id", "uuid", "key")
TITLE_FIELDS = ("title", "name", "subject", "heading", "question")


@dataclass(frozen=True, slots=True)
class RecordFields:
    id_field: str | None = None
    title_field: str | None = None
    text_fields: tuple[str, ...] = ()
    """Empty: every field but the id and the title."""


def records_of(name: str, data: bytes, *, lines: bool) -> list[Any]:
    try:
        text = data.decode("utf-8-sig")
        if lines:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInputError(f"{name}: not valid JSON ({exc})", code="BAD_JSON") from exc
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        arrays = [v for v in value.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        return arrays[0] if len(arrays) == 1 else [value]
    raise BadInputError(f"{name}: a JSON array or object of records is expected", code="BAD_JSON")


def record_documents(
    name: str, records: Iterable[Any], fields: RecordFields
) -> list[SourceDocument]:
    documents: list[SourceDocument] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            record = {"text": record}
        id_key = fields.id_field or _first(record, ID_FIELDS)
        title_key = fields.title_field or _first(record, TITLE_FIELDS)
        doc_id = (
            str(record[id_key]) if id_key and record.get(id_key) is not None else f"{name}#{index}"
        )
        title = _scalar(record.get(title_key)) if title_key else ""
        keys = fields.text_fields or tuple(k for k in record if k not in (id_key, title_key))
        text = record_text(record, keys)
        documents.append(SourceDocument(doc_id, title, f"{name}#{index}", (Section("", text),)))
    return documents


def record_text(record: dict[str, Any], keys: Iterable[str]) -> str:
    present = [k for k in keys if record.get(k) not in (None, "", [], {})]
    if len(present) == 1 and not isinstance(record[present[0]], (dict, list)):
        return _scalar(record[present[0]])
    return "\n".join(line for k in present for line in flatten(k, record[k]))


def flatten(key: str, value: Any) -> list[str]:
    """`key: value` lines; dicts add `.sub`, lists of records add `[i]`, lists of scalars
    are joined with commas."""
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in flatten(f"{key}.{k}", v)]
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [f"{key}: {', '.join(_scalar(v) for v in value)}"]
        return [line for i, v in enumerate(value) for line in flatten(f"{key}[{i}]", v)]
    return [f"{key}: {_scalar(value)}"]


def _first(record: dict[str, Any], names: tuple[str, ...]) -> str | None:
    lowered = {k.lower(): k for k in record}
    return next((lowered[n] for n in names if n in lowered), None)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
