"""What a translation must satisfy before it leaves the service: the target language only,
no explanation or label, every number of the source kept, a plausible length."""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
LABEL = re.compile(
    r"^\s*(?:translation|translated text|english|chinese|译文|翻译|中文|英文)\s*[:：]\s*", re.I
)
EXPLAINS = {
    "en": re.compile(
        r"\b(?:the translation|translation:|translated (?:text|as)|note:|here is|here's|"
        r"in chinese|in english|this sentence)",
        re.I,
    ),
    "zh": re.compile(r"译文|注[:：]|以下是|意思是|这句话"),
}
"""Signs that the answer talks about the text instead of translating it."""
QUOTES = "\"'“”‘’「」『』"
ZH_DIGITS = "零一二三四五六七八九"
EN_NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]


def clean(text: str) -> str:
    """The first non-empty line, without a label ("Translation:") or wrapping quotes."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = LABEL.sub("", lines[0]) if lines else ""
    return first.strip().strip(QUOTES).strip()


def violation(source: str, output: str, src_lang: str, tgt_lang: str) -> str | None:
    """None when `output` is an acceptable translation of `source`, else why not."""
    if not output:
        return "EMPTY"
    if tgt_lang == "zh" and len(CJK.findall(output)) < 0.5 * max(len(LATIN.findall(output)), 1):
        return "NOT_TARGET_LANGUAGE"
    if tgt_lang != "zh" and CJK.search(output):
        return "NOT_TARGET_LANGUAGE"
    explains = EXPLAINS.get(tgt_lang)
    if explains and explains.search(output) and not explains.search(source):
        return "EXPLANATION"

    for number in NUMBER.findall(source):
        if not _number_kept(number, output, tgt_lang):
            return "NUMBER_CHANGED"
    ratio = len(output) / max(len(source), 1)
    low, high = _length_bounds(src_lang, tgt_lang)
    if not low <= ratio <= high:
        return "LENGTH_IMPLAUSIBLE"
    return None


def _number_kept(number: str, output: str, tgt_lang: str) -> bool:
    """By value: "03" is kept as "3"; a zero ("03:00" said "3点") may go."""
    plain = number.replace(",", "").lstrip("0") or "0"
    if plain == "0" or plain.startswith("."):
        return True
    written = {n.replace(",", "").lstrip("0") for n in NUMBER.findall(output)}
    if plain in written:
        return True
    if not plain.isdigit() or int(plain) > 99:
        return False
    value = int(plain)
    if tgt_lang == "zh":
        return _zh_numeral(value) in output
    return (
        value < len(EN_NUMBERS) and re.search(rf"\b{EN_NUMBERS[value]}\b", output, re.I) is not None
    )


def _zh_numeral(value: int) -> str:
    if value < 10:
        return ZH_DIGITS[value]
    tens, ones = divmod(value, 10)
    head = "" if tens == 1 else ZH_DIGITS[tens]
    return head + "十" + (ZH_DIGITS[ones] if ones else "")


def _length_bounds(src_lang: str, tgt_lang: str) -> tuple[float, float]:
    """Characters out per character in: Chinese packs about 3-4 English letters per character."""
    if src_lang == "zh" and tgt_lang != "zh":
        return 0.8, 12.0
    if tgt_lang == "zh" and src_lang != "zh":
        return 0.08, 1.2
    return 0.3, 3.0
