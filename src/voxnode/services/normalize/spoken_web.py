"""Spoken e-mail addresses and URLs -> written.

"a dot b c at g mail dot com" -> "a.bc@gmail.com"; "w w w dot example dot com slash news"
-> "www.example.com/news". Single letters and digits read one by one are joined; "dot",
"at", "slash", "dash", "underscore" become their symbols. An "at" becomes "@" only when a
dotted domain follows it, so "meet me at five" is left alone.
"""

from __future__ import annotations

from voxnode.services.normalize.spoken_numbers import DIGIT_WORDS

SYMBOLS = {"dot": ".", "slash": "/", "dash": "-", "hyphen": "-", "underscore": "_", "colon": ":"}
DOMAIN_WORDS = {"gmail", "hotmail", "yahoo", "outlook", "com", "org", "net", "edu", "gov", "io"}
SPOKEN_JOINS: dict[tuple[str, ...], str] = {("g", "mail"): "gmail"}
NOT_LOCAL_PARTS = {"me", "us", "him", "her", "them", "it", "look", "is", "was", "are", "be"}


def _piece(word: str) -> str | None:
    """What a word writes inside an address, or None when it cannot be part of one."""
    if word in SYMBOLS:
        return SYMBOLS[word]
    if word in DIGIT_WORDS and word not in ("o", "oh"):
        return str(DIGIT_WORDS[word])
    if len(word) == 1 and word.isalnum():
        return word
    if word in DOMAIN_WORDS or word == "www":
        return word
    return None


def _next_to_dot(words: list[str], j: int) -> bool:
    word = words[j]
    near = words[j - 1 : j] + words[j + 1 : j + 2]
    return word.isalpha() and "dot" in near


def _read_run(words: list[str], i: int, *, dotted_words: bool = False) -> tuple[str, int]:
    out: list[str] = []
    j = i
    while j < len(words):
        joined = SPOKEN_JOINS.get(tuple(words[j : j + 2]))
        if joined:
            out.append(joined)
            j += 2
            continue
        piece = _piece(words[j])
        if piece is None and dotted_words and _next_to_dot(words, j):
            piece = words[j]
        if piece is None:
            break
        out.append(piece)
        j += 1
    return "".join(out), j


def _domain(words: list[str], i: int) -> tuple[str, int] | None:
    text, end = _read_run(words, i, dotted_words=True)
    text = text.rstrip("./-_")
    if "." not in text.strip(".") or text.startswith("."):
        return None
    consumed = end
    while consumed > i and _piece(words[consumed - 1]) in (".", "/", "-", "_"):
        consumed -= 1
    return text, consumed


def _local_part(words: list[str], end: int) -> int:
    """Where the local part before words[end] ('at') starts."""
    j = end
    while j > 0 and _piece(words[j - 1]) is not None:
        j -= 1
    while j < end and words[j] in ("dot", "slash", "dash", "underscore"):
        j += 1
    if j == end and end > 0:
        word = words[end - 1]
        if word.isalpha() and word not in NOT_LOCAL_PARTS and len(word) > 1:
            return end - 1
    return j


def rewrite_web(words: list[str]) -> tuple[list[tuple[str, int | None]], list[str]]:
    """Tokens with spoken addresses written (with the source index of each untouched word,
    None for a written address) and a kind per address ('email' or 'url')."""
    out = list(words)
    kinds: list[str] = []
    i = 0
    result: list[tuple[str, int | None]] = []
    while i < len(out):
        word = out[i]
        if word == "at" and result:
            domain = _domain(out, i + 1)
            start = _local_part(out, i)
            local_count = i - start
            if domain and local_count and local_count <= len(result):
                local, _ = _read_run(out[start:i], 0)
                if not local:
                    local = out[start]
                del result[len(result) - local_count :]
                result.append((f"{local}@{domain[0]}", None))
                kinds.append("email")
                i = domain[1]
                continue
        if word == "www" or (word == "w" and out[i : i + 3] == ["w", "w", "w"]):
            domain = _domain(out, i)
            if domain:
                result.append((domain[0], None))
                kinds.append("url")
                i = domain[1]
                continue
        result.append((word, i))
        i += 1
    return result, kinds
