"""English normalisation by rules (seed 001 8.2): no model, microseconds per sentence.

Order: whitespace -> protect glossary terms and written URLs/e-mails -> spoken addresses
-> spoken numbers (when on) -> acronyms -> punctuation spacing -> sentence case. Every kind
of change adds a reason code, so a caller can see why the text moved.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.repair import ReasonCode
from voxnode.services.normalize.acronyms import curated, spelled_run_end
from voxnode.services.normalize.number_rules import is_number_word, rewrite_numbers
from voxnode.services.normalize.spoken_numbers import SCALES
from voxnode.services.normalize.spoken_web import rewrite_web

WRITTEN_ADDRESS = re.compile(
    r"(?:https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+(?:\.[a-z]{2,})+/\S*)",
    re.IGNORECASE,
)
PUNCTUATION = ",.!?;:"
TOKEN = re.compile(r"\uE000\d+\uE001|[^\s,.!?;:]+(?:[.,][^\s,.!?;:]+)*|[,.!?;:]")
PRONOUN_I = re.compile(r"\bi(?=$|[\s,.!?;:]|'(?:m|ll|ve|d|s)\b)")
SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")
SLOT = "\ue000{}\ue001"


@dataclass(frozen=True, slots=True)
class NormalizeOptions:
    normalize_numbers: bool = False
    """Off by default (seed 001 section 7): translation reads spoken numbers as well."""
    sentence_case: bool = True
    acronyms: bool = True
    spoken_addresses: bool = True


@dataclass(slots=True)
class Normalized:
    text: str
    reason_codes: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    """Number and address kinds written: 'money', 'date', 'email', ..."""


class _Slots:
    """Spans taken out of the text before the rules run and put back after."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def hide(
        self,
        text: str,
        pattern: re.Pattern[str],
        replace: Callable[[re.Match[str]], str] = lambda m: m.group(0),
    ) -> str:
        def swap(match: re.Match[str]) -> str:
            self.values.append(replace(match))
            return SLOT.format(len(self.values) - 1)

        return pattern.sub(swap, text)

    def restore(self, text: str) -> str:
        return re.sub(r"\uE000(\d+)\uE001", lambda m: self.values[int(m.group(1))], text)


def request_options(defaults: NormalizeOptions, meta: dict[str, Any] | None) -> NormalizeOptions:
    """`defaults` with what a request's `meta.normalize` switches ({"normalize_numbers": false})."""
    wanted = (meta or {}).get("normalize") or {}
    known = {f.name for f in dataclasses.fields(NormalizeOptions)}
    if not isinstance(wanted, dict) or set(wanted) - known:
        raise BadInputError(
            f"meta.normalize takes booleans among {sorted(known)}", code="BAD_OPTIONS"
        )
    return dataclasses.replace(defaults, **{k: bool(v) for k, v in wanted.items()})


@functools.lru_cache(maxsize=64)
def glossary_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for a set of protected terms (cached: the config's glossary comes with
    every request)."""
    ordered = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not ordered:
        return None
    body = "|".join(re.escape(term) for term in ordered)
    return re.compile(rf"(?<![\w]){body}(?![\w])", re.IGNORECASE)


class EnNormalizer:
    def __init__(self, glossary: Iterable[str] = (), options: NormalizeOptions | None = None):
        self.glossary = tuple(glossary)
        self.options = options or NormalizeOptions()

    def normalize(
        self, text: str, *, glossary: Iterable[str] = (), options: NormalizeOptions | None = None
    ) -> Normalized:
        opts = options or self.options
        reasons: list[str] = []
        categories: list[str] = []
        collapsed = " ".join(text.split())
        if collapsed != text:
            reasons.append(ReasonCode.WHITESPACE_NORMALIZED)
        slots = _Slots()
        work = collapsed
        extra = tuple(glossary)
        pattern = glossary_pattern(self.glossary + extra)
        if pattern is not None:
            canonical = {t.lower(): t for t in self.glossary + extra}
            hidden = slots.hide(
                work, pattern, lambda m: canonical.get(m.group(0).lower(), m.group(0))
            )
            if hidden != work:
                reasons.append(ReasonCode.GLOSSARY_PROTECTED)
            work = hidden
        before = len(slots.values)
        work = slots.hide(work, WRITTEN_ADDRESS)
        if len(slots.values) > before:
            reasons.append(ReasonCode.URL_EMAIL_PROTECTED)
        tokens = TOKEN.findall(work)
        if opts.spoken_addresses:
            tokens, kinds = _apply(tokens, rewrite_web)
            if kinds:
                categories.extend(kinds)
                reasons.append(ReasonCode.URL_EMAIL_WRITTEN)
        if opts.normalize_numbers:
            tokens, kinds = _apply(tokens, rewrite_numbers)
            if kinds:
                categories.extend(kinds)
                reasons.append(ReasonCode.NUMBER_NORMALIZED)
        if opts.acronyms:
            tokens, changed = _acronyms(tokens)
            if changed:
                reasons.append(ReasonCode.ACRONYM_RESTORED)
        joined = _join(tokens)
        if joined != work and _join(TOKEN.findall(work)) != work:
            reasons.append(ReasonCode.PUNCTUATION_SPACING)
        if opts.sentence_case:
            cased = SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), joined)
            cased = PRONOUN_I.sub("I", cased)
            if cased != joined:
                reasons.append(ReasonCode.SENTENCE_CASED)
            joined = cased
        return Normalized(slots.restore(joined), reasons, categories)


Rule = Callable[[list[str]], tuple[list[tuple[str, int | None]], list[str]]]


def _apply(tokens: list[str], rule: Rule) -> tuple[list[str], list[str]]:
    """Run a rule over the lower-case words between slots and punctuation, keeping the
    original spelling of every word the rule did not rewrite."""
    out: list[str] = []
    kinds: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            pieces, found = rule([w.lower() for w in run])
            out.extend(run[src] if src is not None else text for text, src in pieces)
            kinds.extend(found)
            run.clear()

    for index, token in enumerate(tokens):
        if token == "," and _inside_spoken_number(run, tokens[index + 1 : index + 2]):
            continue  # "one thousand, nine hundred": a comma Whisper put inside a number
        if token.startswith("\ue000") or token in PUNCTUATION:
            flush()
            out.append(token)
        else:
            run.append(token)
    flush()
    return out, kinds


def _inside_spoken_number(before: list[str], after: list[str]) -> bool:
    return (
        bool(before and after) and before[-1].lower() in SCALES and is_number_word(after[0].lower())
    )


def _acronyms(tokens: list[str]) -> tuple[list[str], bool]:
    out: list[str] = []
    changed = False
    i = 0
    while i < len(tokens):
        end = spelled_run_end(tokens, i)
        if end > i:
            out.append("".join(tokens[i:end]).upper())
            changed = True
            i = end
            continue
        upper = curated(tokens[i])
        if upper and upper != tokens[i]:
            out.append(upper)
            changed = True
        else:
            out.append(tokens[i])
        i += 1
    return out, changed


def _join(tokens: list[str]) -> str:
    text = ""
    for token in tokens:
        if token in PUNCTUATION or not text:
            text += token
        else:
            text += " " + token
    return text
