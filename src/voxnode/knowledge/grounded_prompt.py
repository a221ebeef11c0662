"""Retrieval chat's prompt and its citations, as pure functions: the passages numbered
[1]..[n] within a token budget, the question after them, and the answer's [n] markers
checked against the passages it was given (a marker that names no passage is taken out,
so a citation the reader follows always leads to a passage that was in the prompt)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from voxnode.contracts.openai import ChatMessageIn
from voxnode.knowledge.retrieval import RetrievedChunk
from voxnode.routing.route_rules import estimate_tokens

SYSTEM = (
    "You answer questions using only the numbered passages from a knowledge base. "
    "Cite the passage each statement comes from as [1], [2], ... right after it. "
    "If the passages do not contain the answer, say that the knowledge base does not "
    "answer this question. Answer in the language of the question, briefly."
)
NO_PASSAGES = (
    "The knowledge base has no passage about this question. Say that it does not answer "
    "this question; do not answer from memory. Answer in the language of the question."
)
_MARKERS = re.compile(
    r"(?P<lead>[ \t]*)[\[【]\s*(?P<numbers>\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】]"
    r"(?P<trail>[ \t]+(?=[.,;:!?。，；：！？]))?"
)
"""[1], [1, 2], 【1】: one or two digits each (a year or [1,000] is no citation)."""


def passages_within(hits: Sequence[RetrievedChunk], budget_tokens: int) -> list[RetrievedChunk]:
    """The best-ranked hits whose texts fit the budget together; the first always (cut to
    the budget when it alone is longer)."""
    kept: list[RetrievedChunk] = []
    used = 0
    for hit in hits:
        cost = estimate_tokens([hit.text])
        if kept and used + cost > budget_tokens:
            break
        kept.append(hit)
        used += cost
    if kept and used > budget_tokens:
        kept[0] = _cut(kept[0], budget_tokens)
    return kept


def _cut(hit: RetrievedChunk, budget_tokens: int) -> RetrievedChunk:
    text = hit.text
    while text and estimate_tokens([text]) > budget_tokens:
        text = text[: int(len(text) * 0.9)]
    return replace(hit, text=text)


def grounded_messages(
    question: str, passages: Sequence[RetrievedChunk], history: Sequence[ChatMessageIn] = ()
) -> list[ChatMessageIn]:
    turns = [m for m in history if m.role in ("user", "assistant")]
    if not passages:
        system = ChatMessageIn(role="system", content=NO_PASSAGES)
        return [system, *turns, ChatMessageIn(role="user", content=question)]
    numbered = "\n\n".join(
        f"[{number}] {_heading(hit)}\n{hit.text.strip()}"
        for number, hit in enumerate(passages, start=1)
    )
    user = f"Passages:\n\n{numbered}\n\nQuestion: {question}"
    return [
        ChatMessageIn(role="system", content=SYSTEM),
        *turns,
        ChatMessageIn(role="user", content=user),
    ]


def _heading(hit: RetrievedChunk) -> str:
    parts = [part for part in (hit.title, hit.section) if part]
    return " / ".join(dict.fromkeys(parts)) or hit.source


def checked_citations(answer: str, count: int) -> tuple[str, list[int], list[int]]:
    """(the answer with markers naming no passage removed, with the space they leave, the
    passage numbers it cites in order of first mention, the numbers it named that are no
    passage). Nothing else of the answer is touched."""
    cited: list[int] = []
    dropped: list[int] = []

    def keep_valid(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,，、]\s*", match.group("numbers"))]
        valid = [n for n in numbers if 1 <= n <= count]
        dropped.extend(n for n in numbers if not 1 <= n <= count and n not in dropped)
        cited.extend(n for n in valid if n not in cited)
        if not valid:
            return ""
        markers = "".join(f"[{n}]" for n in valid)
        return match.group("lead") + markers + (match.group("trail") or "")

    return _MARKERS.sub(keep_valid, answer).strip(), cited, dropped
