"""Citations the model left out, found by the node: a sentence of the answer with no [n]
marker whose words are mostly one passage's (a small model copies the passage it answers
from, and forgets to say so) gets that passage's marker at its end. Pure functions.

Words: Chinese characters in pairs (no spaces to split on), other scripts as lowercase
words less a few function words, so that "the" and "of" do not make every passage match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MATCH_SHARE = 0.6
"""A sentence goes to the passage holding at least this share of its words (none below)."""
MIN_WORDS = 3
"""Shorter sentences ("Yes.", "是的。") are not matched: too little to tell passages apart."""

_SENTENCE = re.compile(r"(?:[^.!?。！？\n]|\.(?=\d))*(?:(?:[!?。！？]|\.(?!\d))+[ \t]*|\n+|$)")
"""A sentence with its closing marks and the spaces after them (3.5 is no sentence end); the
pieces put together again are the answer."""
_MARKER = re.compile(r"[\[【]\s*\d{1,2}(?:\s*[,，、]\s*\d{1,2})*\s*[\]】]")
_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[^\W\d_][\w'-]*|\d+(?:[.,]\d+)*")
_END = re.compile(r"(?P<body>.*?)(?P<end>[.!?。！？]*\s*)$", re.DOTALL)
_FUNCTION_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was", "were", "which",
    "with", "what", "who", "when", "where", "how", "does", "did", "do", "not", "no",
})  # fmt: skip


def words_of(text: str) -> set[str]:
    units = {cjk[i : i + 2] for cjk in _CJK.findall(text) for i in range(max(len(cjk) - 1, 1))}
    latin = _CJK.sub(" ", text.lower())
    units.update(w for w in _WORD.findall(latin) if w not in _FUNCTION_WORDS)
    return units


def best_passage(sentence: str, passages: Sequence[set[str]]) -> int | None:
    """The 1-based number of the passage holding the largest share of the sentence's words,
    when that share is at least MATCH_SHARE."""
    wanted = words_of(sentence)
    if len(wanted) < MIN_WORDS or not passages:
        return None
    shares = [len(wanted & words) / len(wanted) for words in passages]
    best = max(range(len(shares)), key=shares.__getitem__)
    return best + 1 if shares[best] >= MATCH_SHARE else None


def attribute(answer: str, passages: Sequence[str]) -> tuple[str, list[int]]:
    """(the answer with a marker added to each unmarked sentence that matches a passage,
    the passage numbers added, in order of first addition). Marked sentences stay as they
    are: the model's own citation is kept, never second-guessed."""
    words = [words_of(text) for text in passages]
    added: list[int] = []
    pieces: list[str] = []
    for sentence in filter(None, _SENTENCE.findall(answer)):
        number = None if _MARKER.search(sentence) else best_passage(sentence, words)
        if number is None:
            pieces.append(sentence)
            continue
        if number not in added:
            added.append(number)
        parts = _END.match(sentence)
        assert parts is not None  # the pattern matches any string
        body = parts["body"].rstrip()
        space = "" if _CJK.search(body[-1:]) else " "
        pieces.append(f"{body}{space}[{number}]{parts['end']}")
    return "".join(pieces), added
