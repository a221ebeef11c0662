"""Dedup inside and across utterances (lingua1 6.3, layers 1 and 2).

- Repetition loops inside one segment (a Whisper hallucination): a unit repeated three
  times or more becomes one copy ("您好,我定," x37 -> one). A doubled word stays ("谢谢谢谢",
  "好的好的"), a tripled one becomes one ("谢谢谢谢谢谢" -> "谢谢"). In words: a phrase of two
  or more words repeated three times, or a single word four times, becomes one copy.
- Boundary overlap: when an utterance starts with what the previous one ended with (the
  audio cut overlapped), the repeated start is cut.
Job dedup (layer 3, by job_id) lives in the orchestrator's ledger.
"""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
CHAR_LOOP = re.compile(r"(.{2,16}?)\1{2,}", re.S)
MAX_PHRASE_WORDS = 8
_WORD_EDGE = re.compile(r"^\W+|\W+$")


def is_cjk_text(text: str) -> bool:
    return len(CJK.findall(text)) * 2 >= len(text.replace(" ", "")) > 0


def trim_repetition(text: str) -> str:
    if is_cjk_text(text):
        return CHAR_LOOP.sub(r"\1", text)
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        size, repeats = _longest_loop(words, i)
        out.extend(words[i : i + size])
        i += size * repeats
    return " ".join(out)


def _longest_loop(words: list[str], start: int) -> tuple[int, int]:
    """(unit size, repeats) of the loop starting at `start`; (1, 1) when there is none."""
    keys = [_WORD_EDGE.sub("", w).lower() for w in words]
    for size in range(1, MAX_PHRASE_WORDS + 1):
        unit = keys[start : start + size]
        if len(unit) < size or not any(unit):
            break
        repeats = 1
        while keys[start + repeats * size : start + (repeats + 1) * size] == unit:
            repeats += 1
        if repeats >= (4 if size == 1 else 3):
            return size, repeats
    return 1, 1


def trim_overlap(previous: str, text: str, *, min_chars: int, min_words: int) -> str:
    """`text` without the start it shares with the end of `previous` (at least the minimum)."""
    if not previous or not text:
        return text
    if is_cjk_text(text):
        for size in range(min(len(previous), len(text) - 1), min_chars - 1, -1):
            if previous.endswith(text[:size]):
                return text[size:].lstrip(" ,，、。")
        return text
    prev_keys = [_WORD_EDGE.sub("", w).lower() for w in previous.split()]
    words = text.split()
    keys = [_WORD_EDGE.sub("", w).lower() for w in words]
    for size in range(min(len(prev_keys), len(keys) - 1), min_words - 1, -1):
        if prev_keys[-size:] == keys[:size]:
            return " ".join(words[size:])
    return text
