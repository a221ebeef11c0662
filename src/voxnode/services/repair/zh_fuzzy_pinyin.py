"""Syllables Whisper confuses: near-homophones by the fuzzy-pinyin rules input methods use
(libime, pycorrector; research/quality_levers.md section 3).

Initials zh/z, ch/c, sh/s, l/n, f/h; finals an/ang, en/eng, in/ing, ian/iang, uan/uang, and
a final heard with or without its nasal (zhe/zheng/zhen, ba/ban/bang). Each alternative
carries a cost in KenLM log10 units that the repair's margin has to pay.
"""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin, pinyin

INITIAL_PAIRS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("f", "h"))
FINAL_PAIRS = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("iang", "ian"), ("uang", "uan"))
NASALS = ("ng", "n")
INITIAL_COST = 1.5
FINAL_COST = 1.5
NASAL_COST = 2.0
"""A nasal heard that was not said, or the reverse (zhe -> zheng), is the rarer confusion."""
_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j",
             "q", "x", "r", "z", "c", "s", "y", "w")  # fmt: skip


def split_syllable(syllable: str) -> tuple[str, str]:
    """'zheng' -> ('zh', 'eng'); 'an' -> ('', 'an')."""
    for initial in _INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            return initial, syllable[len(initial) :]
    return "", syllable


@functools.lru_cache(maxsize=4096)
def fuzzy_alternatives(syllable: str) -> tuple[tuple[str, float], ...]:
    """Other toneless syllables `syllable` may have been heard for, with their cost (one rule
    applied; the syllable itself is not included)."""
    initial, final = split_syllable(syllable)
    found: dict[str, float] = {}

    def add(other_initial: str, other_final: str, cost: float) -> None:
        other = other_initial + other_final
        if other != syllable and other_final:
            found[other] = min(found.get(other, cost), cost)

    for a, b in INITIAL_PAIRS:
        if initial in (a, b):
            add(b if initial == a else a, final, INITIAL_COST)
    for a, b in FINAL_PAIRS:
        if final.endswith(a):
            add(initial, final[: -len(a)] + b, FINAL_COST)
        elif final.endswith(b) and not final.endswith(a):
            add(initial, final[: -len(b)] + a, FINAL_COST)
    for nasal in NASALS:
        if final.endswith(nasal) and len(final) > len(nasal):
            add(initial, final[: -len(nasal)], NASAL_COST)  # zheng -> zhe, ban -> ba
    if not final.endswith(NASALS) and final[-1:] in "aeiou":
        for nasal in NASALS:
            add(initial, final + nasal, NASAL_COST)  # zhe -> zhen, zheng
    return tuple(sorted(found.items()))


@functools.lru_cache(maxsize=8192)
def _tone3(char: str) -> str:
    """'室' -> 'shi4' (cached: each search asks for the same characters many times)."""
    return pinyin(char, style=Style.TONE3)[0][0]


def tone(char: str) -> str:
    """'室' -> '4'; the neutral tone is '5'."""
    tone3 = _tone3(char)
    return tone3[-1] if tone3[-1:].isdigit() else "5"


@functools.lru_cache(maxsize=8192)
def toneless(char: str) -> str:
    return lazy_pinyin(char)[0]
