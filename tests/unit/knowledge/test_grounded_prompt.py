"""Retrieval chat's prompt and citation checks."""

from __future__ import annotations

import pytest

from voxnode.contracts.openai import ChatMessageIn
from voxnode.knowledge.grounded_prompt import (
    NO_PASSAGES,
    checked_citations,
    grounded_messages,
    passages_within,
)
from voxnode.knowledge.retrieval import RetrievedChunk


def chunk(text: str, title: str = "T", section: str = "") -> RetrievedChunk:
    return RetrievedChunk(
        chunk_id=text[:8], doc_id="d", text=text, title=title, section=section, source="s.md",
        position=0, page=None, score=1.0, cosine=0.8, keyword_score=None, dense_rank=1,
        keyword_rank=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "count", "text", "cited", "dropped"),
    [
        ("Refunds take 5 days [1].", 2, "Refunds take 5 days [1].", [1], []),
        ("A [2] and B [1][2].", 2, "A [2] and B [1][2].", [2, 1], []),
        ("A [1, 3].", 2, "A [1].", [1], [3]),
        ("七天内退款【1】。", 1, "七天内退款[1]。", [1], []),
        ("See [4] .", 2, "See.", [], [4]),
        ("No markers at all.", 3, "No markers at all.", [], []),
        (
            "Year [2024] and [1,000] are no markers.",
            2,
            "Year [2024] and [1,000] are no markers.",
            [],
            [],
        ),
        ("Keep  code\n    indented [1] !", 1, "Keep  code\n    indented [1] !", [1], []),
    ],
)
def test_markers_are_checked_against_the_passages(
    answer: str, count: int, text: str, cited: list[int], dropped: list[int]
) -> None:
    assert checked_citations(answer, count) == (text, cited, dropped)


def test_passages_fit_the_budget_best_first() -> None:
    hits = [chunk("a" * 400), chunk("b" * 400), chunk("c" * 400)]  # about 100 tokens each
    assert [h.text[0] for h in passages_within(hits, 250)] == ["a", "b"]
    [only] = passages_within([chunk("长" * 500)], 100)  # one CJK character, one token
    assert len(only.text) <= 100
    assert passages_within([], 100) == []


def test_the_prompt_numbers_passages_and_keeps_the_history() -> None:
    history = [ChatMessageIn(role="user", content="hi"),
               ChatMessageIn(role="assistant", content="hello")]  # fmt: skip
    messages = grounded_messages(
        "When?", [chunk("Opens at nine.", "Guide", "Guide > Hours"), chunk("x", "FAQ")], history
    )
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1].content == (
        "Passages:\n\n[1] Guide / Guide > Hours\nOpens at nine.\n\n[2] FAQ\nx\n\nQuestion: When?"
    )
    empty = grounded_messages("When?", [])
    assert empty[0].content == NO_PASSAGES and empty[-1].content == "When?"
