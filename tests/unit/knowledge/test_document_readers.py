"""Importers: JSON records (fields configurable, nested values flattened), JSON Lines,
Markdown sections, plain text, PDF pages, and the refusals."""

from __future__ import annotations

import json

import pytest

from voxnode.contracts.errors import BadInputError
from voxnode.knowledge.document_readers import read_documents
from voxnode.knowledge.json_records import RecordFields, flatten
from voxnode.knowledge.source_document import Section

BUSINESS = [
    {
        "id": "p-1", "name": "OneSuite CRM", "category": "software",
        "price": {"monthly": 30, "currency": "USD"}, "features": ["contacts", "pipeline"],
        "contacts": [{"role": "sales", "phone": "400-800"}], "active": True, "note": None,
    },
    {"id": "p-2", "name": "合同审核", "description": "请在周五之前把合同发给法务部。"},
]  # fmt: skip


def test_json_records_with_default_fields_flatten_nested_values() -> None:
    docs = read_documents("onesuite-business-data.json", json.dumps(BUSINESS).encode())
    assert [(d.doc_id, d.title) for d in docs] == [("p-1", "OneSuite CRM"), ("p-2", "合同审核")]
    assert docs[0].sections[0].text.splitlines() == [
        "category: software",
        "price.monthly: 30",
        "price.currency: USD",
        "features: contacts, pipeline",
        "contacts[0].role: sales",
        "contacts[0].phone: 400-800",
        "active: yes",
    ]
    assert docs[1].sections == (Section("", "请在周五之前把合同发给法务部。"),)
    assert docs[0].source == "onesuite-business-data.json#0"


def test_json_fields_are_configurable_and_an_object_holding_records_works() -> None:
    data = json.dumps(
        {"version": 2, "items": [{"sku": "A", "label": "Alpha", "body": "x", "y": 1}]}
    )
    fields = RecordFields(id_field="sku", title_field="label", text_fields=("body",))
    [doc] = read_documents("catalog.json", data.encode(), fields)
    assert (doc.doc_id, doc.title, doc.sections[0].text) == ("A", "Alpha", "x")
    [unnamed] = read_documents("list.json", b'[{"text": "no id here"}]')
    assert unnamed.doc_id == "list.json#0"


def test_jsonl_corpus_rows() -> None:
    rows = (
        b'{"id": "d1", "title": "T", "text": "one"}\n\n{"id": "d2", "title": "U", "text": "two"}\n'
    )
    docs = read_documents("corpus.jsonl", rows)
    assert [(d.doc_id, d.title, d.sections[0].text) for d in docs] == [
        ("d1", "T", "one"),
        ("d2", "U", "two"),
    ]


def test_markdown_splits_on_headings_outside_code() -> None:
    text = (
        "Intro line.\n# Guide\nWelcome.\n## Install\nRun it.\n```\n# not a heading\n```\n"
        "### Linux\napt install.\n## Use\nAsk.\n"
    )
    [doc] = read_documents("guide.md", text.encode())
    assert doc.title == "Guide"
    assert [(s.title, s.text) for s in doc.sections] == [
        ("", "Intro line."),
        ("Guide", "Welcome."),
        ("Guide > Install", "Run it.\n```\n# not a heading\n```"),
        ("Guide > Install > Linux", "apt install."),
        ("Guide > Use", "Ask."),
    ]


def test_plain_text_and_kind_override() -> None:
    [doc] = read_documents("notes.txt", "会议在三点开始。".encode())
    assert (doc.doc_id, doc.title, doc.sections[0].text) == (
        "notes.txt",
        "notes",
        "会议在三点开始。",
    )
    [md] = read_documents("README", b"# Title\nbody", kind="md")
    assert md.title == "Title"


def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of Helvetica text per page (offsets computed)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def test_pdf_pages_become_sections() -> None:
    pytest.importorskip("pypdf")
    [doc] = read_documents("manual.pdf", minimal_pdf(["Refunds take five days.", "", "Call us."]))
    assert doc.title == "manual"
    assert [(s.page, s.text) for s in doc.sections] == [
        (1, "Refunds take five days."),
        (3, "Call us."),
    ]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("data.csv", b"a,b", "UNSUPPORTED_FORMAT"),
        ("broken.json", b"[{", "BAD_JSON"),
        ("latin.txt", "caf\xe9".encode("latin-1"), "BAD_ENCODING"),
        ("scan.pdf", minimal_pdf([""]), "PDF_NO_TEXT"),
        ("junk.pdf", b"not a pdf", "BAD_PDF"),
    ],
)
def test_refusals(name: str, data: bytes, code: str) -> None:
    with pytest.raises(BadInputError) as caught:
        read_documents(name, data)
    assert caught.value.code == code


def test_flatten_lists_of_lists() -> None:
    assert flatten("m", [[1, 2], {"a": None}]) == ["m[0]: 1, 2", "m[1].a: "]
