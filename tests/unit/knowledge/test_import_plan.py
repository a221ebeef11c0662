"""Incremental import: content hashes decide what is skipped, added and replaced."""

from __future__ import annotations

from voxnode.knowledge.import_plan import plan_import
from voxnode.knowledge.source_document import Section, SourceDocument

RECIPE = "chunk=300/50;title"


def doc(doc_id: str, text: str, title: str = "T") -> SourceDocument:
    return SourceDocument(doc_id, title, "f.json", (Section("", text),))


def test_hash_covers_title_sections_and_the_recipe() -> None:
    base = doc("a", "hello").content_hash(RECIPE)
    assert doc("a", "hello").content_hash(RECIPE) == base
    assert doc("b", "hello").content_hash(RECIPE) == base  # the id is not content
    assert doc("a", "hello!").content_hash(RECIPE) != base
    assert doc("a", "hello", title="U").content_hash(RECIPE) != base
    assert doc("a", "hello").content_hash("chunk=200/0;title") != base
    split = SourceDocument("a", "T", "f", (Section("", "hel"), Section("", "lo")))
    assert split.content_hash(RECIPE) != base


def test_plan_skips_unchanged_replaces_changed_adds_new_and_drops_duplicates() -> None:
    known = {
        "same": doc("same", "x").content_hash(RECIPE),
        "edit": doc("edit", "old").content_hash(RECIPE),
    }
    plan = plan_import(
        [doc("same", "x"), doc("edit", "new"), doc("new", "y"), doc("new", "z")], known, RECIPE
    )
    assert plan.unchanged == 1
    assert [(p.document.doc_id, p.replaces) for p in plan.todo] == [("edit", True), ("new", False)]
    assert plan.todo[1].document.sections[0].text == "y"  # the first of a doubled id wins
    assert plan.duplicates == ["new"]
