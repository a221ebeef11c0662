"""Spoken numbers -> written: money, measure, time, date, ordinal, decimal, cardinal, telephone.

`rewrite_numbers(words)` walks a list of lower-case words and returns the written tokens and
the categories it changed. Each rule reads at one position and says where it stopped; the
first rule that reads something wins (money before measure before decimal before cardinal).
"""

from __future__ import annotations

from collections.abc import Callable

from voxnode.services.normalize.spoken_numbers import (
    DIGIT_WORDS,
    MONTHS,
    SCALES,
    TENS,
    UNITS,
    ordinal_suffix,
    parse_cardinal,
    parse_digits,
    parse_ordinal,
)

Match = tuple[str, int, str]
"""(written text, index after the phrase, category)."""

CURRENCIES = {
    "dollar": "$", "dollars": "$", "usd": "$", "euro": "€", "euros": "€", "pound": "£",
    "pounds": "£", "won": "₩", "yen": "¥",
}  # fmt: skip
WORD_CURRENCIES = {"yuan", "rupees", "rupee", "francs", "franc"}
UNITS_WRITTEN: dict[tuple[str, ...], str] = {
    tuple(spoken.split()): written
    for spoken, written in {
        "percent": "%", "per cent": "%", "kilometers": "km", "kilometer": "km",
        "kilometres": "km", "meters": "m", "meter": "m", "metres": "m", "centimeters": "cm",
        "centimeter": "cm", "millimeters": "mm", "millimeter": "mm", "miles": "mi",
        "mile": "mi", "feet": "ft", "foot": "ft", "inches": "in", "inch": "in",
        "kilograms": "kg", "kilogram": "kg", "grams": "g", "gram": "g", "milligrams": "mg",
        "pounds weight": "lb", "liters": "l", "liter": "l", "litres": "l",
        "milliliters": "ml", "milliliter": "ml", "kilo liters": "kl", "hours": "h",
        "hour": "h", "minutes": "min", "seconds": "s", "hertz": "hz", "kilohertz": "khz",
        "megahertz": "mhz", "gigahertz": "ghz", "volts": "v", "volt": "v", "milli volt": "mv",
        "milli volts": "mv", "watts": "W", "watt": "W", "kilowatts": "kW", "kilowatt": "kW",
        "megawatts": "mW", "megawatt": "mW", "kilo watt hours": "kWh",
        "kilowatt hours": "kWh", "horsepower": "hp", "hectares": "ha", "hectare": "ha",
        "kilobytes": "kb", "megabytes": "mb", "gigabytes": "gb", "terabytes": "tb",
        "peta bytes": "pb", "square kilometers": "km²", "square kilometer": "km²",
        "square meters": "m²", "square meter": "m²", "square miles": "sq mi",
        "square feet": "sq ft", "cubic meters": "m³", "miles per hour": "mph",
        "kilometers per hour": "km/h", "per square kilometer": "/km²", "c c": "cc",
        "astronomical units": "au", "degrees celsius": "°C", "degrees fahrenheit": "°F",
        "kilograms force per square centimeter": "kgf/cm²", "mega siemens": "ms",
    }.items()
}  # fmt: skip
_LONGEST_UNIT = max(len(key) for key in UNITS_WRITTEN)


def _number(words: list[str], i: int) -> tuple[str, int] | None:
    """A decimal or cardinal at words[i], written: '18.25', '1.72 billion', '15 million', '-3'."""
    sign = ""
    if i < len(words) and words[i] in ("minus", "negative"):
        sign, i = "-", i + 1
    head = parse_cardinal(words, i)
    j = head.end if head else i
    if j < len(words) and words[j] == "point":
        digits, end = parse_digits(words, j + 1)
        if digits:
            written = f"{head.value if head else ''}.{digits}"
            if end < len(words) and words[end] in SCALES:
                return f"{sign}{written} {words[end]}", end + 1
            return sign + written, end
    if head is None:
        return None
    last = words[head.end - 1]
    if last in SCALES and last != "thousand" and head.value % SCALES[last] == 0:
        return f"{sign}{head.value // SCALES[last]} {last}", head.end
    return f"{sign}{head.value}", head.end


def _unit_at(words: list[str], i: int) -> tuple[str, int] | None:
    for size in range(min(_LONGEST_UNIT, len(words) - i), 0, -1):
        written = UNITS_WRITTEN.get(tuple(words[i : i + size]))
        if written:
            return written, i + size
    return None


SYMBOLS = "$€£¥"


def money(words: list[str], i: int) -> Match | None:
    if i < len(words) and words[i] in ("cent", "cents"):
        return None
    if i < len(words) and len(words[i]) > 1 and words[i][0] in SYMBOLS:
        # "$sixty thousand": the symbol written, the amount spoken
        amount = _number([words[i][1:], *words[i + 1 :]], 0)
        return (f"{words[i][0]}{amount[0]}", i + amount[1], "money") if amount else None
    amount = _number(words, i)
    if amount is None:
        return None
    text, j = amount
    if j < len(words) and words[j] in ("cent", "cents") and "." not in text and " " not in text:
        return f"$0.{int(text):02d}", j + 1, "money"
    if j >= len(words):
        return None
    currency = words[j]
    if currency in WORD_CURRENCIES:
        return f"{text} {currency}", j + 1, "money"
    symbol = CURRENCIES.get(currency)
    if symbol is None:
        return None
    j += 1
    k = j + (j < len(words) and words[j] == "and")
    cents = parse_cardinal(words, k)
    if cents and cents.value < 100 and "." not in text and " " not in text:
        end = cents.end + (cents.end < len(words) and words[cents.end] in ("cent", "cents"))
        return f"{symbol}{text}.{cents.value:02d}", end, "money"
    return f"{symbol}{text}", j, "money"


def measure(words: list[str], i: int) -> Match | None:
    """'five kilometers' -> '5 km'; a singular unit after a number other than one modifies
    the noun after it and stays a word: 'a ten thousand hour theory' -> 'a 10000-hour theory'."""
    amount = _number(words, i)
    if amount is None:
        return None
    text, j = amount
    unit = _unit_at(words, j)
    if unit is None:
        return None
    spoken = tuple(words[j : unit[1]])
    if text not in ("1", "-1") and _singular(spoken):
        return f"{text}-{'-'.join(spoken)}", unit[1], "measure"
    return f"{text} {unit[0]}", unit[1], "measure"


def _singular(spoken: tuple[str, ...]) -> bool:
    """A unit said in the singular that also has a plural ('hour' beside 'hours')."""
    plural = (*spoken[:-1], spoken[-1] + "s")
    return plural in UNITS_WRITTEN


def _minutes(words: list[str], i: int) -> tuple[int, int] | None:
    if i < len(words) and words[i] in ("o", "oh") and i + 1 < len(words):
        digit = DIGIT_WORDS.get(words[i + 1])
        return (digit, i + 2) if digit else None
    minutes = parse_cardinal(words, i)
    if minutes and 10 <= minutes.value < 60 and minutes.words <= 2 and words[i] not in UNITS:
        return minutes.value, minutes.end
    if minutes and 10 <= minutes.value < 20 and minutes.words == 1:
        return minutes.value, minutes.end
    return None


def _meridiem(words: list[str], i: int) -> tuple[str, int]:
    for spoken, written in ((("a", "m"), "a.m."), (("p", "m"), "p.m.")):
        if tuple(words[i : i + 2]) == spoken:
            return " " + written, i + 2
    if i < len(words) and words[i] in ("am", "pm"):
        return f" {words[i][0]}.m.", i + 1
    return "", i


def _hour(words: list[str], i: int) -> int | None:
    value = UNITS.get(words[i]) if i < len(words) else None
    return value if value is not None and 1 <= value <= 12 and words[i] not in ("o", "oh") else None


def clock_time(words: list[str], i: int) -> Match | None:
    hour = _hour(words, i)
    if hour is not None:
        if i + 1 < len(words) and words[i + 1] in ("o'clock", "oclock"):
            suffix, end = _meridiem(words, i + 2)
            return f"{hour:02d}:00{suffix}", end, "time"
        minutes = _minutes(words, i + 1)
        if minutes:
            suffix, end = _meridiem(words, minutes[1])
            return f"{hour:02d}:{minutes[0]:02d}{suffix}", end, "time"
        suffix, end = _meridiem(words, i + 1)
        if suffix:
            return f"{hour:02d}:00{suffix}", end, "time"
    return _relative_time(words, i)


def _relative_time(words: list[str], i: int) -> Match | None:
    """'quarter past one', 'half past two', 'ten to eleven pm', 'one min to one am'."""
    if i < len(words) and words[i] in ("quarter", "half"):
        minutes, j = (15 if words[i] == "quarter" else 30), i + 1
    else:
        count = parse_cardinal(words, i)
        if count is None or not 0 < count.value < 60:
            return None
        minutes, j = count.value, count.end
        if j < len(words) and words[j] in ("min", "mins", "minute", "minutes"):
            j += 1
    if j >= len(words) or words[j] not in ("past", "to", "after", "before"):
        return None
    hour = _hour(words, j + 1)
    if hour is None:
        return None
    suffix, end = _meridiem(words, j + 2)
    if words[j] in ("to", "before"):
        hour, minutes = (hour - 2) % 12 + 1, 60 - minutes
    return f"{hour:02d}:{minutes:02d}{suffix}", end, "time"


def _year(words: list[str], i: int) -> tuple[int, int] | None:
    """'nineteen seventy three' -> 1973, 'twenty fourteen' -> 2014, 'nineteen o five' -> 1905."""
    first = parse_cardinal(words[: i + 2], i)
    if first is None or not 10 <= first.value < 100:
        return None
    j = first.end
    if j < len(words) and words[j] in ("o", "oh") and j + 1 < len(words):
        digit = DIGIT_WORDS.get(words[j + 1])
        if digit:
            return first.value * 100 + digit, j + 2
    second = parse_cardinal(words, j)
    if second and 10 <= second.value < 100 and second.words <= 2:
        return first.value * 100 + second.value, second.end
    return None


def date(words: list[str], i: int) -> Match | None:
    if i < len(words) and words[i] in MONTHS:
        day = parse_ordinal(words, i + 1) or parse_cardinal(words, i + 1)
        if day is None or not 1 <= day.value <= 31:
            return None
        year = _year(words, day.end)
        if year:
            return f"{words[i]} {day.value} {year[0]}", year[1], "date"
        return f"{words[i]} {day.value}", day.end, "date"
    start = i + (i < len(words) and words[i] == "the")
    day = parse_ordinal(words, start)
    if day and day.end + 1 < len(words) and words[day.end] == "of":
        month = words[day.end + 1]
        if month in MONTHS and 1 <= day.value <= 31:
            return f"{day.value} {month}", day.end + 2, "date"
    year = _year(words, i)
    if year and (year[1] >= len(words) or words[year[1]] not in {*SCALES, "hundred", "point"}):
        return str(year[0]), year[1], "date"
    return None


def ordinal(words: list[str], i: int) -> Match | None:
    """'forty second' -> '42nd'; a lone 'first' to 'ninth' stays a word ('a second chance')
    unless a date reads it ('june first')."""
    found = parse_ordinal(words, i)
    if found is None or (found.words == 1 and found.value < 10):
        return None
    return f"{found.value}{ordinal_suffix(found.value)}", found.end, "ordinal"


def decimal_or_cardinal(words: list[str], i: int) -> Match | None:
    amount = _number(words, i)
    if amount is None:
        return None
    text, end = amount
    single = end - i == 1 and words[i] in UNITS and UNITS[words[i]] < 10
    if single or words[i] in ("o", "oh"):
        return None
    kind = "decimal" if "." in text or " " in text else "cardinal"
    return text, end, kind


def telephone(words: list[str], i: int) -> Match | None:
    digits, end = parse_digits(words, i)
    if len(digits) < 3:
        return None
    if len(digits) == 10:
        digits = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return digits, end, "telephone"


RULES: tuple[Callable[[list[str], int], Match | None], ...] = (
    telephone,
    money,
    measure,
    clock_time,
    date,
    ordinal,
    decimal_or_cardinal,
)


def is_number_word(word: str) -> bool:
    return word in UNITS or word in TENS or word in SCALES or word in ("point", "minus")


def rewrite_numbers(words: list[str]) -> tuple[list[tuple[str, int | None]], list[str]]:
    """Written tokens for lower-case `words` (with the source index of each untouched
    word, None for a written number) and the categories of what changed."""
    out: list[tuple[str, int | None]] = []
    kinds: list[str] = []
    i = 0
    while i < len(words):
        for rule in RULES:
            found = rule(words, i)
            if found is not None and found[1] > i:
                out.append((found[0], None))
                kinds.append(found[2])
                i = found[1]
                break
        else:
            out.append((words[i], i))
            i += 1
    return out, kinds
