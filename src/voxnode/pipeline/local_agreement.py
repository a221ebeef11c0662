"""LocalAgreement-2 over repeated decodes of a growing utterance (whisper_streaming's policy):
a word is committed once two decodes in a row agree on it and on everything before it, and
committed text never changes again within the utterance; the rest of the latest decode is
shown as tentative.

Words are compared without case or punctuation ("Hello," agrees with "hello"); Chinese,
Japanese and Korean are compared character by character. Punctuation rides with the word
before it. A decode that contradicts the committed words commits nothing more until the
decodes agree with them again (the committed words stay as they were).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_CJK = "\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_UNIT = re.compile(rf"\s*(?:[{_CJK}]|[^\s{_CJK}]+)")
"""One CJK character, or a run of anything else up to a space or a CJK character."""


@dataclass(frozen=True, slots=True)
class Unit:
    shown: str
    """As written, with its leading space and the punctuation after it."""
    key: str
    """What is compared: lower case, letters and digits only."""


@dataclass(frozen=True, slots=True)
class AgreementView:
    committed: str
    tentative: str
    """With its leading space where one belongs: committed + tentative reads right."""


def units(text: str) -> list[Unit]:
    out: list[Unit] = []
    for match in _UNIT.finditer(text):
        shown = match.group(0)
        key = "".join(c for c in shown.lower() if unicodedata.category(c)[0] in "LN")
        if not key and out:
            out[-1] = Unit(out[-1].shown + shown, out[-1].key)  # punctuation: to the word before
        elif key:
            out.append(Unit(shown, key))
    return out


def agreed_length(first: list[Unit], second: list[Unit]) -> int:
    count = 0
    for a, b in zip(first, second, strict=False):
        if a.key != b.key:
            break
        count += 1
    return count


@dataclass(slots=True)
class LocalAgreement:
    committed: list[Unit] = field(default_factory=list)
    previous: list[Unit] | None = None

    def update(self, hypothesis: str) -> AgreementView:
        current = units(hypothesis)
        kept = len(self.committed)
        consistent = agreed_length(self.committed, current) == kept
        if self.previous is not None and consistent:
            agreed = agreed_length(self.previous, current)
            if agreed > kept:
                self.committed = [*self.committed, *current[kept:agreed]]
        self.previous = current
        committed = _text(self.committed)
        tentative = "".join(unit.shown for unit in current[len(self.committed) :]).rstrip()
        return AgreementView(committed, tentative if committed else tentative.lstrip())

    @property
    def text(self) -> str:
        return _text(self.committed)


def _text(parts: list[Unit]) -> str:
    return "".join(unit.shown for unit in parts).strip()
