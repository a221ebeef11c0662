"""Where a streamed translation is cut into pieces that are spoken on their own.

A piece ends at a sentence end (CJK_SENTENCE_ENDS, LATIN_SENTENCE_ENDS) or, once it holds
`min_chars`, at a clause mark (CJK_CLAUSE_MARKS, LATIN_CLAUSE_MARKS), with the closing quotes
or brackets that follow. Never inside a
number (3.5, 1,000, 3:00), after an abbreviation (Mr., e.g., p.m., U.S.) or an initial
(J. Smith), or before a lower-case word (an abbreviation this list does not know). A piece
that reaches `max_chars` with no such place is cut at its last space (or, in Chinese, before
the run of Latin letters or digits it is in). Where the next character decides (". " then
a capital?), the cut waits for it: one token later, never a wrong cut.

`find_cut` is the decision (pure, table-tested); `ClauseCutter` applies it to a stream.
"""

from __future__ import annotations

from dataclasses import dataclass

from voxnode.contracts.languages import UNSPACED_LANGUAGES

CJK_SENTENCE_ENDS = "。！？…"
CJK_CLAUSE_MARKS = "，：；"
"""Not the enumeration comma (it lists words, it ends no clause); an ASCII comma in Chinese
text follows the Latin rules."""
LATIN_SENTENCE_ENDS = ".!?;"
LATIN_CLAUSE_MARKS = ",:"
CLOSERS = "\"'”’」』）)]】》"
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "e.g", "i.e", "a.m",
    "p.m", "u.s", "u.k", "u.n", "no", "inc", "ltd", "co", "corp", "dept", "est", "approx",
    "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "ca", "cf", "al",
})  # fmt: skip
"""Words a period follows without ending the sentence (lower case, without that period)."""


@dataclass(frozen=True, slots=True)
class ClauseRules:
    min_chars: int
    """A clause mark cuts only a piece at least this long (a sentence end always cuts)."""
    max_chars: int
    """A piece this long is cut where it can be, punctuation or not."""
    cjk: bool
    """Written without spaces: pieces join with nothing between them."""


RULES = {
    "cjk": ClauseRules(min_chars=4, max_chars=36, cjk=True),
    "latin": ClauseRules(min_chars=12, max_chars=90, cjk=False),
}


def rules_for(lang: str) -> ClauseRules:
    return RULES["cjk" if lang in UNSPACED_LANGUAGES else "latin"]


def join_pieces(pieces: list[str], rules: ClauseRules) -> str:
    return ("" if rules.cjk else " ").join(pieces)


def find_cut(text: str, *, final: bool, rules: ClauseRules) -> int | None:
    """The end of the first piece of `text` (text[:end] is spoken on its own), or None
    while more text is needed. `final`: nothing more will come."""
    for index, char in enumerate(text):
        if char in CJK_SENTENCE_ENDS or (
            char in CJK_CLAUSE_MARKS and _long_enough(text, index, rules)
        ):
            return _after_closers(text, index + 1, final)
        if char in LATIN_SENTENCE_ENDS or (
            char in LATIN_CLAUSE_MARKS and _long_enough(text, index, rules)
        ):
            verdict = _latin_mark(text, index, final)
            if verdict is _WAIT:
                return None
            if verdict is _CUT:
                return _after_closers(text, index + 1, final)
    if len(text.strip()) >= rules.max_chars:
        return _forced_cut(text, rules)
    if final and text.strip():
        return len(text)
    return None


class ClauseCutter:
    """Feed it the streamed text; it gives back the pieces as they become certain."""

    def __init__(self, rules: ClauseRules):
        self._rules = rules
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        return self._pieces(final=False)

    def finish(self) -> list[str]:
        return self._pieces(final=True)

    def _pieces(self, *, final: bool) -> list[str]:
        pieces = []
        while (end := find_cut(self._buffer, final=final, rules=self._rules)) is not None:
            piece, self._buffer = self._buffer[:end].strip(), self._buffer[end:]
            if piece:
                pieces.append(piece)
        if final:
            self._buffer = ""
        return pieces


# ----- the decisions

_CUT, _WAIT, _NO = object(), object(), object()


def _long_enough(text: str, index: int, rules: ClauseRules) -> bool:
    return len(text[: index + 1].strip()) >= rules.min_chars


def _latin_mark(text: str, index: int, final: bool) -> object:
    """Whether the ASCII mark at `index` ends a piece: _CUT, _NO or _WAIT (for the next
    characters)."""
    char, following = text[index], index + 1
    before = text[index - 1] if index else ""
    if following < len(text):
        if char in ".,:" and before.isdigit() and text[following].isdigit():
            return _NO  # 3.5, 1,000, 3:00
        if char == "." and text[following] == ".":
            return _NO  # an ellipsis goes on: the cut comes after its last dot
    while following < len(text) and text[following] in CLOSERS:
        following += 1
    after = text[following:]
    if not after:
        return _CUT if final else _WAIT
    if not after[0].isspace():
        return _CUT if _is_cjk(after[0]) else _NO  # "e.g", "U.S", a URL: not a boundary
    if char != ".":
        return _CUT
    if _abbreviation(text[:index]):
        return _NO
    word = after.lstrip()
    if not word:
        return _CUT if final else _WAIT
    return _NO if word[0].islower() else _CUT


def _abbreviation(before: str) -> bool:
    word = before.split()[-1] if before.split() else ""
    word = word.lstrip("\"'“‘(（[").lower()
    if word in ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isalpha()  # an initial: J. Smith


def _after_closers(text: str, end: int, final: bool) -> int | None:
    while end < len(text) and text[end] in CLOSERS:
        end += 1
    if end == len(text) and not final:
        return None  # a closing quote may still come: wait for the next character
    return end


def _forced_cut(text: str, rules: ClauseRules) -> int:
    """A piece that grew too long without punctuation."""
    limit = len(text) - len(text.lstrip()) + rules.max_chars
    if not rules.cjk:
        space = text[: limit + 1].rfind(" ")  # the last whole word that fits
        return space if space > rules.min_chars else limit
    end = limit
    while end > 0 and text[end - 1].isascii() and text[end - 1].isalnum():
        end -= 1  # not inside a Latin word or a number
    return end if end > rules.min_chars else limit


def _is_cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uf900" <= char <= "\uffef"
