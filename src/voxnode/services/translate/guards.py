"""What a translation must satisfy: the target language only (no English word left
untranslated in Chinese), no explanation or label, every number and day of the source kept,
a plausible length, and a negation where the source has one.

`issues()` lists every problem of an answer, worst first; `violation()` is the worst one.
The translator keeps the candidate whose issues weigh least (SEVERITY), so there is always a
translation; one with issues is marked low-confidence.
"""

from __future__ import annotations

import re

from voxnode.services.translate.quantities import readable, stated

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
PLAIN_WORD = re.compile(r"(?<![A-Za-z])[a-z]{3,}(?![A-Za-z])")
"""A lower-case English word (next to Chinese characters too: \\b sees none there), not a
name, an acronym or a brand (iPhone, NASA, Python)."""
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


def clean(text: str) -> str:
    """The first non-empty line, without a label ("Translation:") or wrapping quotes."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = LABEL.sub("", lines[0]) if lines else ""
    return first.strip().strip(QUOTES).strip()


SEVERITY = {
    "EMPTY": 100.0, "NOT_TARGET_LANGUAGE": 8.0, "EXPLANATION": 6.0, "LENGTH_IMPLAUSIBLE": 4.0,
    "NUMBER_CHANGED": 3.0, "UNTRANSLATED_WORD": 3.0, "DAY_CHANGED": 2.5, "NEGATION_DROPPED": 2.0,
}  # fmt: skip
"""How bad each problem is for a listener: nothing at all, the wrong language, a comment
instead of a translation, a sentence cut short or run on, a wrong number or a word the
listener cannot read, a wrong or lost day, a flipped claim."""
DAYS = (
    ("今天|今日", "today"),
    ("明天|明日", "tomorrow"),
    ("昨天|昨日", "yesterday"),
    ("后天", "day after tomorrow"),
    ("前天", "day before yesterday"),
    ("(?<!每)(?:周|星期|礼拜)一(?![次下])", "monday"),
    ("(?:周|星期|礼拜)二", "tuesday"),
    ("(?:周|星期|礼拜)三", "wednesday"),
    ("(?:周|星期|礼拜)四", "thursday"),
    ("(?:周|星期|礼拜)五", "friday"),
    ("(?:周|星期|礼拜)六", "saturday"),
    ("(?:周|星期|礼拜)[日天]", "sunday"),
)
"""Days a sentence names, in Chinese and in English: a translation keeps each one."""


def violation(source: str, output: str, src_lang: str, tgt_lang: str) -> str | None:
    """None when `output` is an acceptable translation of `source`, else its worst issue."""
    found = issues(source, output, src_lang, tgt_lang)
    return found[0] if found else None


def issues(source: str, output: str, src_lang: str, tgt_lang: str) -> list[str]:
    """Every problem of `output` as a translation of `source`, worst first."""
    if not output:
        return ["EMPTY"]
    found = []
    if tgt_lang == "zh" and len(CJK.findall(output)) < 0.5 * max(len(LATIN.findall(output)), 1):
        found.append("NOT_TARGET_LANGUAGE")
    if tgt_lang != "zh" and CJK.search(output):
        found.append("NOT_TARGET_LANGUAGE")
    if tgt_lang == "zh" and word_left_untranslated(source, output):
        found.append("UNTRANSLATED_WORD")
    explains = EXPLAINS.get(tgt_lang)
    if explains and explains.search(output) and not explains.search(source):
        found.append("EXPLANATION")
    if number_changed(source, output, src_lang, tgt_lang):
        found.append("NUMBER_CHANGED")
    ratio = len(output) / max(len(source), 1)
    low, high = _length_bounds(src_lang, tgt_lang)
    if not low <= ratio <= high:
        found.append("LENGTH_IMPLAUSIBLE")
    if day_changed(source, output, src_lang, tgt_lang):
        found.append("DAY_CHANGED")
    if negation_dropped(source, output, src_lang, tgt_lang):
        found.append("NEGATION_DROPPED")
    return sorted(found, key=lambda issue: -SEVERITY[issue])


def weight(found: list[str]) -> float:
    return sum(SEVERITY[issue] for issue in found)


ZH_SAYS_NO = re.compile(
    r"(?<!有)没有?|不(?:是|会|能|要|想|用|该|再|肯|敢|必|可|否认|愿|让|准|许)|[并从绝决毫永]不"
    r"|从未|尚未|未曾|无法"
)
"""Chinese that says no in so many words (a verb negated): 不是, 不会, 没有, 从未, 无法 ...
Not 不满意 or 不营业, which English says without a "not" (dissatisfied, closed)."""
ZH_ANY_NO = re.compile(r"[不没未别无非勿]")
EN_SAYS_NO = re.compile(
    r"\b(?:not|never|nobody|nothing|none|neither|nor|cannot|no one)\b|n't\b", re.I
)
EN_ANY_NO = re.compile(
    r"\b(?:not|no|never|none|nothing|nobody|neither|nor|without|cannot|un\w+|dis\w+|in\w+"
    r"|fail\w*|lack\w*|refus\w*|den\w+|stop\w*|avoid\w*)\b|n't\b",
    re.I,
)
"""Any way English may carry a negation: a cue word, a negative prefix or verb."""


def negation_dropped(source: str, output: str, src_lang: str, tgt_lang: str) -> bool:
    """The source says no and the translation has no trace of it (the costly error: "does
    not deny" became 否认). Strict on the source side, lenient on the other: a false alarm
    costs one more attempt."""
    if src_lang == "zh" and tgt_lang != "zh":
        return bool(ZH_SAYS_NO.search(source)) and not EN_ANY_NO.search(output)
    if tgt_lang == "zh" and src_lang != "zh":
        return bool(EN_SAYS_NO.search(source)) and not ZH_ANY_NO.search(output)
    return False


def word_left_untranslated(source: str, output: str) -> bool:
    """A plain English word of the source copied into the Chinese answer ("nobody告诉我"): a
    name or an acronym may stay in Latin letters, "nobody" may not."""
    copied = {word.lower() for word in re.findall(r"[A-Za-z]{3,}", source)}
    return any(word in copied for word in PLAIN_WORD.findall(output)) and bool(CJK.search(output))


def number_changed(source: str, output: str, src_lang: str, tgt_lang: str) -> bool:
    """A number the source writes in digits has no equal in the answer, by value: 120万 is
    1.2 million, 3,000 is 三千, 7月 is July (quantities.py); a zero ("03:00" said 三点) may go."""
    values, months = readable(output, tgt_lang)
    return any(
        number.value not in values and number.month not in months
        for number in stated(source, src_lang)
    )


def day_changed(source: str, output: str, src_lang: str, tgt_lang: str) -> bool:
    """A day the source names (明天, Friday) is missing from the translation: "translate it
    tomorrow, send it by Friday" said as "translate it by Friday" is fluent and wrong."""
    if {src_lang, tgt_lang} != {"zh", "en"}:
        return False
    for zh, en in DAYS:
        in_zh, in_en = re.compile(zh), re.compile(rf"\b{en}s?\b", re.I)
        said, kept = (in_zh, in_en) if src_lang == "zh" else (in_en, in_zh)
        if said.search(source) and not kept.search(output):
            return True
    return False


def _length_bounds(src_lang: str, tgt_lang: str) -> tuple[float, float]:
    """Characters out per character in: Chinese packs about 3-4 English letters per character."""
    if src_lang == "zh" and tgt_lang != "zh":
        return 0.8, 12.0
    if tgt_lang == "zh" and src_lang != "zh":
        return 0.08, 1.2
    return 0.3, 3.0
