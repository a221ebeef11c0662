"""Guards an English repair candidate must pass before it is even scored.

- Protected tokens unchanged: numbers (digits or number words), URLs, e-mails, acronyms
  (capitalised or from the curated list) and glossary terms must appear as often after as
  before.
- Words added or removed at most `max_word_change` (the sentence score cannot judge
  them), length within +-20% (words), and an edit-distance cap: a repair edits a few
  words, a rewrite edits many.
- Not an answer about the text: an LLM reply that explains ("Here is", "Corrected:"),
  continues (a longer text that starts with the whole input), or translates (CJK
  characters where the input had none) is discarded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from voxnode.contracts.text_distance import levenshtein
from voxnode.services.normalize.acronyms import CURATED
from voxnode.services.normalize.spoken_numbers import ORDINALS, SCALES, TENS, UNITS

NUMBER_WORDS = set(UNITS) - {"o", "oh"} | set(TENS) | set(SCALES) | set(ORDINALS) | {"hundred"}
ADDRESS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")
PROTECTED_TOKEN = re.compile(r"\d[\d.,:%/-]*")
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")
EXPLAINING = re.compile(
    r"^\s*(here is|here's|corrected|output|fixed|repaired|the corrected|sure|original)\b",
    re.IGNORECASE,
)
LABEL = re.compile(r"^\s*(corrected|output|fixed|repaired)( text| sentence)?\s*:\s*", re.I)


def words_of(text: str) -> list[str]:
    return re.findall(r"[\w'@./:-]+", text.lower())


def protected_counts(text: str, glossary: Sequence[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for token in re.findall(r"\S+", text):
        bare = token.strip(",.!?;:\"'()")
        low = bare.lower()
        if (
            PROTECTED_TOKEN.fullmatch(bare)
            or low in NUMBER_WORDS
            or ADDRESS.fullmatch(bare)
            or low in CURATED
            or (len(bare) > 1 and bare.isupper())
        ):
            counts[low] += 1
    lowered = text.lower()
    for term in glossary:
        if term:
            counts["glossary:" + term.lower()] = lowered.count(term.lower())
    return counts


def strip_label(reply: str) -> str:
    first = reply.strip().split("\n")[0].strip().strip('"')
    return LABEL.sub("", first).strip().strip('"')


def changed_words(original: str, candidate: str) -> int:
    return levenshtein(words_of(original), words_of(candidate))


def rejection(
    original: str,
    candidate: str,
    *,
    glossary: Sequence[str],
    max_word_change: int,
    max_length_change: float,
    max_edit_ratio: float,
) -> str | None:
    """Why `candidate` may not replace `original`, or None when it may."""
    if not candidate.strip():
        return "EMPTY"
    if EXPLAINING.match(candidate):
        return "EXPLANATION"
    if CJK.search(candidate) and not CJK.search(original):
        return "TRANSLATED"
    a, b = words_of(original), words_of(candidate)
    if len(b) > len(a) and b[: len(a)] == a:
        return "CONTINUATION"
    if protected_counts(original, glossary) != protected_counts(candidate, glossary):
        return "PROTECTED_TOKEN_CHANGED"
    if abs(len(b) - len(a)) > max_word_change:
        return "WORD_COUNT_CHANGED"
    if a and abs(len(b) - len(a)) > max_length_change * len(a):
        return "LENGTH_CHANGE_EXCEEDED"
    if a and levenshtein(a, b) > max(1, round(max_edit_ratio * len(a))):
        return "EDIT_DISTANCE_EXCEEDED"
    return None
