"""Spoken English numbers: word tables and a parser for cardinal phrases.

`parse_cardinal(words, i)` reads the longest valid cardinal phrase at `words[i]`
("one hundred and five", "twenty one hundred", "nine trillion ...") and reports where it
ends. Digit strings read one by one ("seven nine nine") are not cardinals: they are left
to the telephone rule.
"""

from __future__ import annotations

from dataclasses import dataclass

UNITS = {
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {
    "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
    "quadrillion": 10**15,
}  # fmt: skip
ORDINALS = {
    "zeroth": 0, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40,
    "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
    "hundredth": 100, "thousandth": 1000, "millionth": 10**6, "billionth": 10**9,
}  # fmt: skip
DIGIT_WORDS = {word: value for word, value in UNITS.items() if value < 10}
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


@dataclass(frozen=True, slots=True)
class Cardinal:
    value: int
    end: int
    """Index just past the phrase."""
    words: int


def _word_value(word: str) -> int | None:
    for table in (UNITS, TENS):
        if word in table:
            return table[word]
    return None


def hyphenated(word: str) -> int | None:
    """'ninety-four' -> 94 (tens and unit written as one word)."""
    tens, _, unit = word.partition("-")
    if tens in TENS and unit in UNITS and 0 < UNITS[unit] < 10:
        return TENS[tens] + UNITS[unit]
    return None


def parse_cardinal(words: list[str], i: int, *, allow_letter_o: bool = False) -> Cardinal | None:
    """The longest cardinal phrase at words[i], or None."""
    total = current = 0
    last = None  # kind of the last word read: unit, teen, tens, hundred, scale
    end = i
    largest_scale = 10**18
    j = i
    while j < len(words):
        word = words[j]
        if word in ("o", "oh") and not allow_letter_o:
            break
        if word == "and" and last in ("hundred", "scale") and j + 1 < len(words):
            nxt = words[j + 1]
            if nxt in UNITS or nxt in TENS or hyphenated(nxt) is not None:
                j += 1
                continue
            break
        value = _word_value(word)
        if value is None and (joined := hyphenated(word)) is not None:
            if last in ("unit", "teen", "tens"):
                break
            current += joined
            last = "unit"
        elif value is not None:
            if word in TENS:
                if last in ("unit", "teen", "tens"):
                    break
                current += value
                last = "tens"
            else:
                if last in ("unit", "teen") or (last == "tens" and value >= 10):
                    break
                current += value
                last = "teen" if value >= 10 else "unit"
        elif word == "hundred":
            if last not in ("unit", "teen", "tens") or current >= 100:
                break
            current *= 100
            last = "hundred"
        elif word in SCALES:
            scale = SCALES[word]
            if last is None or last == "scale" or scale >= largest_scale:
                break
            total += current * scale
            current = 0
            largest_scale = scale
            last = "scale"
        else:
            break
        j += 1
        end = j
    if end == i:
        return None
    return Cardinal(total + current, end, end - i)


def ordinal_suffix(value: int) -> str:
    if 10 <= value % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def parse_ordinal(words: list[str], i: int) -> Cardinal | None:
    """'forty second' -> 42, 'one hundredth' -> 100, 'eleven hundred twenty first' -> 1121."""
    if i < len(words) and words[i] in ORDINALS:
        return Cardinal(ORDINALS[words[i]], i + 1, 1)
    head = parse_cardinal(words, i)
    if head is None or head.end >= len(words):
        return None
    last = words[head.end]
    if last not in ORDINALS:
        return None
    value = ORDINALS[last]
    if value >= 100:
        return Cardinal(max(head.value, 1) * value, head.end + 1, head.words + 1)
    if value >= 10 and head.value % 100 != 0:
        return None
    if value < 10 and head.value % 10 != 0:
        return None
    return Cardinal(head.value + value, head.end + 1, head.words + 1)


def parse_digits(words: list[str], i: int) -> tuple[str, int]:
    """Digits read one by one, with 'double'/'triple': ('003', end)."""
    out: list[str] = []
    j = i
    while j < len(words):
        repeat = {"double": 2, "triple": 3}.get(words[j], 1)
        k = j + (repeat > 1)
        if k < len(words) and words[k] in DIGIT_WORDS:
            out.append(str(DIGIT_WORDS[words[k]]) * repeat)
            j = k + 1
            continue
        break
    return "".join(out), j
