"""Text aggregation after ASR (lingua1 6.2): merge an unfinished fragment into the next one.

Only for fragments the client cut on an uncertain pause (`manual_cut` false). Each gets an
incompleteness score: short (< 10 CJK characters or < 6 words) 2, very short (< 4 or < 3)
3 more, no strong final punctuation 1, ending on a connective 1, ASR quality under 0.45 1.
At `merge_score` (2.5) or more the fragment is held and the session's next utterance
starts with it; a held text past 40 characters (or 8 words) is sent anyway. Nothing is ever
dropped: a held fragment always rides with the session's next job. (The origin's pause-gap
weight needs audio timing this API does not carry.)
"""

from __future__ import annotations

import re

from voxnode.pipeline.text_dedup import is_cjk_text

FINAL = re.compile(r"[.!?。！？…]\s*$")
CONNECTIVES_EN = {
    "and", "but", "so", "because", "or", "the", "a", "an", "to", "of", "with", "for",
    "that", "which", "if", "when", "then", "in", "on", "at",
}  # fmt: skip
CONNECTIVES_ZH = ("和", "但是", "所以", "因为", "然后", "还有", "的", "而且", "如果", "就是", "在")
MAX_HELD_CHARS = 40
MAX_HELD_WORDS = 8
LOW_QUALITY = 0.45


def incompleteness(text: str, quality: float | None) -> float:
    stripped = text.strip()
    cjk = is_cjk_text(stripped)
    size = len(stripped.replace(" ", "")) if cjk else len(stripped.split())
    short, very_short = (10, 4) if cjk else (6, 3)
    score = 0.0
    if size < short:
        score += 2
    if size < very_short:
        score += 3
    if not FINAL.search(stripped):
        score += 1
    if _ends_on_connective(stripped, cjk):
        score += 1
    if quality is not None and quality < LOW_QUALITY:
        score += 1
    return score


def should_hold(text: str, quality: float | None, threshold: float) -> bool:
    """Hold `text` (already prefixed with anything held before) for the next utterance?"""
    stripped = text.strip()
    if not stripped:
        return False
    cjk = is_cjk_text(stripped)
    if (len(stripped) if cjk else len(stripped.split())) > (
        MAX_HELD_CHARS if cjk else MAX_HELD_WORDS
    ):
        return False
    return incompleteness(stripped, quality) >= threshold


def join(held: str, text: str) -> str:
    if not held:
        return text
    glue = "" if is_cjk_text(held + text) else " "
    return f"{held}{glue}{text}".strip()


def _ends_on_connective(text: str, cjk: bool) -> bool:
    if cjk:
        return text.rstrip("，,、 ").endswith(CONNECTIVES_ZH)
    words = re.findall(r"[A-Za-z']+", text.lower())
    return bool(words) and words[-1] in CONNECTIVES_EN
