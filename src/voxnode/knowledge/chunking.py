"""Split a document's text into overlapping chunks that fit e5's 512 tokens.

Sentences first (Chinese ends them with full-width stops, question and exclamation marks and
semicolons; English with . ! ? before a space), then, for a sentence longer than a chunk,
clauses (commas, enumeration commas and colons), then characters for Chinese
or words for English. Sentences are packed greedily up to `max_tokens` (estimated); the next
chunk starts with the last sentences of the previous one, up to `overlap_tokens`, so a fact
split across the boundary is whole in one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voxnode.knowledge.text_units import CJK, estimate_tokens


@dataclass(frozen=True, slots=True)
class ChunkPolicy:
    max_tokens: int = 300
    """Estimated e5 tokens per chunk (the title is added on top when embedding)."""
    overlap_tokens: int = 50
    """Estimated tokens the next chunk repeats from the end of the previous one."""


@dataclass(frozen=True, slots=True)
class TextChunk:
    text: str
    position: int
    """0, 1, 2 ... within the document."""
    start: int
    """Character offset of the chunk's first character in the document's text."""


_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…])[”’」』）)\"']*|(?<=[.])[”’\"')]*(?=\s)|\n\s*\n")
_CLAUSE_END = re.compile(r"(?<=[，、：,:])")
_CJK_CHAR = re.compile(f"[{CJK}]")
_ABBREVIATION = re.compile(
    r"(?:^|\W)(?:mr|mrs|ms|dr|prof|st|jr|sr|vs|etc|no|fig|e\.g|i\.e|[a-z])\.$", re.I
)


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    start: int
    tokens: float


def chunk_text(text: str, policy: ChunkPolicy = ChunkPolicy()) -> list[TextChunk]:
    pieces = [p for p in _pieces(text, policy) if p.text.strip()]
    chunks: list[TextChunk] = []
    current: list[_Piece] = []
    size = 0.0
    for piece in pieces:
        if current and size + piece.tokens > policy.max_tokens:
            chunks.append(_chunk(text, current, len(chunks)))
            current = _overlap(
                current, policy.overlap_tokens, room=policy.max_tokens - piece.tokens
            )
            size = sum(p.tokens for p in current)
        current.append(piece)
        size += piece.tokens
    if current:
        chunks.append(_chunk(text, current, len(chunks)))
    return chunks


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in _sentence_spans(text) if text[a:b].strip()]


def _chunk(text: str, pieces: list[_Piece], position: int) -> TextChunk:
    start = pieces[0].start
    raw = text[start : pieces[-1].start + len(pieces[-1].text)]
    lead = len(raw) - len(raw.lstrip())
    return TextChunk(text=raw.strip(), position=position, start=start + lead)


def _overlap(previous: list[_Piece], budget: float, *, room: float) -> list[_Piece]:
    """The tail of `previous` within the overlap budget and the room the next piece leaves."""
    kept: list[_Piece] = []
    size = 0.0
    for piece in reversed(previous[1:]):
        if size + piece.tokens > min(budget, room):
            break
        kept.insert(0, piece)
        size += piece.tokens
    return kept


def _pieces(text: str, policy: ChunkPolicy) -> list[_Piece]:
    """Sentences, each one cut further while it is longer than a chunk."""
    out: list[_Piece] = []
    for a, b in _sentence_spans(text):
        out.extend(_fit(text[a:b], a, policy))
    return out


def _fit(sentence: str, start: int, policy: ChunkPolicy) -> list[_Piece]:
    tokens = estimate_tokens(sentence)
    if tokens <= policy.max_tokens:
        return [_Piece(sentence, start, tokens)]
    clauses = _spans(sentence, _CLAUSE_END)
    if len(clauses) > 1:
        return [p for a, b in clauses for p in _fit(sentence[a:b], start + a, policy)]
    # pieces no longer than the overlap, so that cut-up text overlaps like sentences do
    return _hard_cut(sentence, start, min(policy.max_tokens, policy.overlap_tokens or 10**9))


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans; "Dr." or "e.g." followed by a space does not end one."""
    spans: list[tuple[int, int]] = []
    for a, b in _spans(text, _SENTENCE_END):
        if spans and _ABBREVIATION.search(text[spans[-1][0] : spans[-1][1]]):
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return spans


def _hard_cut(sentence: str, start: int, max_tokens: int) -> list[_Piece]:
    """Characters for CJK text, words (with their spaces) otherwise; the estimate is summed
    unit by unit, which is linear in the sentence's length."""
    cjk = len(_CJK_CHAR.findall(sentence)) * 2 > len(sentence.replace(" ", ""))
    units = [m.span() for m in re.finditer(r"." if cjk else r"\S+\s*", sentence, re.S)]
    pieces: list[_Piece] = []
    begin, size = 0, 0.0
    for a, b in units:
        cost = estimate_tokens(sentence[a:b])
        if size + cost > max_tokens and a > begin:
            pieces.append(_Piece(sentence[begin:a], start + begin, size))
            begin, size = a, 0.0
        size += cost
    pieces.append(_Piece(sentence[begin:], start + begin, size))
    return [p for p in pieces if p.text]


def _spans(text: str, boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in boundary.finditer(text):
        end = match.end()
        if end > begin:
            spans.append((begin, end))
            begin = end
    if begin < len(text):
        spans.append((begin, len(text)))
    return spans
