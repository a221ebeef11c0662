"""The numbers a sentence states, by value, so that a translation can be checked for each:
"120万" is "1.2 million", "3,000" is "三千", "7月" is "July", fullwidth digits are digits.

`stated(text, lang)`: the source side, strict (digits only, with the scale word after them).
`readable(text, lang)`: the answer side, lenient (digits, scale words, Chinese numerals,
English number words, month names), as a set of values and month numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from voxnode.services.normalize.spoken_numbers import MONTHS, SCALES, TENS, UNITS

DIGITS = r"\d+(?:[.,]\d+)*"
EN_SCALES = {"hundred": 100, "bn": 10**9, **SCALES}
ZH_SCALES = {"百": 100, "千": 10**3, "万": 10**4, "亿": 10**8, "万亿": 10**12}
EN_SCALED = re.compile(rf"({DIGITS})(?:\s*({'|'.join(EN_SCALES)})\b)?", re.I)
ZH_SCALED = re.compile(rf"({DIGITS})(?:\s*[多余]?\s*(万亿|亿|万|千|百)(?![分米克瓦]))?")
ZH_MONTH = re.compile(r"(?<![\d.])(\d{1,2})\s*月")
ZH_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
ZH_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
EN_WORDS = {word: value for word, value in (UNITS | TENS).items() if value <= 20}
EN_WORD = re.compile(rf"\b({'|'.join(EN_WORDS)})(?:\s+({'|'.join(EN_SCALES)}))?\b", re.I)
EN_MONTH = re.compile(rf"\b(?:{'|'.join(MONTHS)}|{'|'.join(m[:3] for m in MONTHS)}|sept)\b", re.I)


@dataclass(frozen=True, slots=True)
class Stated:
    value: Decimal
    month: int | None = None
    """1-12 where the number is a month (zh "7月"): a month name says it too."""


def stated(text: str, lang: str) -> list[Stated]:
    """The nonzero numbers `text` writes in digits, each with its scale word (万, million)."""
    text = unicodedata.normalize("NFKC", text)
    months = {m.start(1) for m in ZH_MONTH.finditer(text)} if lang == "zh" else set()
    found = []
    for match in (ZH_SCALED if lang == "zh" else EN_SCALED).finditer(text):
        value = _scaled(match.group(1), match.group(2), lang)
        if value:
            in_months = match.start(1) in months and not match.group(2) and 1 <= value <= 12
            month = int(value) if in_months else None
            found.append(Stated(value, month))
    return found


def readable(text: str, lang: str) -> tuple[set[Decimal], set[int]]:
    """Every value a reader of `text` finds in it, and the months it names."""
    text = unicodedata.normalize("NFKC", text)
    values: set[Decimal] = set()
    for match in (ZH_SCALED if lang == "zh" else EN_SCALED).finditer(text):
        values |= {
            _scaled(match.group(1), None, lang),
            _scaled(match.group(1), match.group(2), lang),
        }
    if lang == "zh":
        values |= {_zh_value(m.group()) for m in ZH_NUMERAL.finditer(text)}
        months = {int(m.group(1)) for m in ZH_MONTH.finditer(text)}  # 13月: not a month, harmless
    else:
        for word, scale in EN_WORD.findall(text):
            values.add(Decimal(EN_WORDS[word.lower()] * EN_SCALES.get(scale.lower(), 1)))
        months = {MONTHS.index(_month(m.group())) + 1 for m in EN_MONTH.finditer(text)}
    return values, months


def _scaled(digits: str, scale: str | None, lang: str) -> Decimal:
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return Decimal(0)
    if scale:
        value *= (ZH_SCALES if lang == "zh" else EN_SCALES)[scale.lower()]
    return value.normalize()


def _zh_value(numeral: str) -> Decimal:
    """三千 3000, 一百二十万 1200000, 三亿五千万 350000000, 一九九四 1994 (read digit by digit)."""
    if all(c in ZH_DIGIT for c in numeral):
        return Decimal("".join(str(ZH_DIGIT[c]) for c in numeral))
    total, section, digit = 0, 0, 0
    for char in numeral:
        if char in ZH_DIGIT:
            digit = ZH_DIGIT[char]
        elif char in ZH_UNIT:
            section += (digit or 1) * ZH_UNIT[char]
            digit = 0
        elif char == "万":
            total += (section + digit or 1) * 10**4
            section = digit = 0
        else:  # 亿
            total = (total + section + digit or 1) * 10**8
            section = digit = 0
    return Decimal(total + section + digit)


def _month(word: str) -> str:
    return next(month for month in MONTHS if month.startswith(word.lower()[:3]))
