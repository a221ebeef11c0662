"""The guards a streamed translation passes piece by piece, and the policy for one that fails.

Per piece, as it comes (before it is spoken): is it a translation at all? The wrong
language (NOT_TARGET_LANGUAGE, lenient: a clause may be a name or an acronym) or talk about
the text (EXPLANATION). The guards that need the whole translation (numbers kept, a
plausible length, a day or a negation kept: guards.issues) run once on the whole.

The policy (`verdict`), so that what is spoken is always exactly the translation's text,
no piece twice and none missing:
- the first piece fails: nothing has been spoken, so the stream is abandoned and the
  non-streamed translator answers (its prompts in turn, the least bad answer kept), sent
  as its pieces at once (FALLBACK);
- a later piece fails: the pieces before it have been spoken and stand; it and the rest
  of the answer are dropped (STOP), and the translation is marked low-confidence with the
  issue and CUT_SHORT;
- issues found only on the whole mark the translation low-confidence (the audio is out).
"""

from __future__ import annotations

import re
from enum import StrEnum

from voxnode.services.translate.guards import CJK, EXPLAINS, LABEL, LATIN, QUOTES

CUT_SHORT = "CUT_SHORT"
"""A later piece was no translation: the translation ends before it."""
MIN_FOREIGN_LETTERS = 8
"""A Chinese piece is in the wrong language only with this many Latin letters and no
Chinese at all (GPU, iPhone, a name are fine)."""


class Verdict(StrEnum):
    SPEAK = "speak"
    FALLBACK = "fallback"
    STOP = "stop"


def piece_issues(source: str, piece: str, tgt_lang: str) -> list[str]:
    """What makes `piece` no translation at all (worst first)."""
    found = []
    if tgt_lang == "zh":
        if not CJK.search(piece) and len(LATIN.findall(piece)) >= MIN_FOREIGN_LETTERS:
            found.append("NOT_TARGET_LANGUAGE")
    elif CJK.search(piece):
        found.append("NOT_TARGET_LANGUAGE")
    explains = [EXPLAINS[lang] for lang in dict.fromkeys((tgt_lang, "en")) if lang in EXPLAINS]
    if any(cue.search(piece) and not cue.search(source) for cue in explains):
        found.append("EXPLANATION")  # in the target language, or the model's own English
    return found


def verdict(found: list[str], *, spoken: int) -> Verdict:
    """What to do with a piece given its issues and how many pieces were spoken before."""
    if not found:
        return Verdict.SPEAK
    return Verdict.FALLBACK if spoken == 0 else Verdict.STOP


def clean_first(piece: str) -> tuple[str, bool]:
    """The first piece without a label ("Translation:") or an opening quote; and whether
    there was one (then closing quotes are taken off the pieces that end with one)."""
    text = LABEL.sub("", piece).strip()
    opened = bool(text) and text[0] in QUOTES
    return text.lstrip(QUOTES).strip(), opened


def clean_closing(piece: str) -> str:
    return re.sub(f"[{re.escape(QUOTES)}]+$", "", piece).strip()
