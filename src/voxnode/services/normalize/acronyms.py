"""Acronyms: a curated list written in capitals, and letters read one by one joined.

"gpu" -> "GPU" (list), "n e c" -> "NEC" (spelled). A user glossary adds its own terms with
their exact spelling ("VoxNode", "llama.cpp"); glossary terms are protected, not rewritten.
"""

from __future__ import annotations

CURATED = frozenset(
    [
        "api",
        "url",
        "http",
        "https",
        "gpu",
        "cpu",
        "ram",
        "ssd",
        "usb",
        "sql",
        "json",
        "xml",
        "html",
        "css",
        "pdf",
        "mp3",
        "mp4",
        "wav",
        "opus",
        "asr",
        "tts",
        "nmt",
        "vad",
        "llm",
        "ai",
        "ml",
        "nlp",
        "ocr",
        "ui",
        "ux",
        "id",
        "ip",
        "tcp",
        "udp",
        "dns",
        "vpn",
        "sdk",
        "ide",
        "os",
        "ios",
        "ceo",
        "cfo",
        "cto",
        "hr",
        "pr",
        "faq",
        "diy",
        "fbi",
        "cia",
        "nasa",
        "nato",
        "un",
        "eu",
        "uk",
        "usa",
        "bbc",
        "cnn",
        "ibm",
        "nec",
        "hp",
        "ge",
        "bmw",
        "atm",
        "gps",
        "pc",
        "tv",
        "dvd",
        "cd",
        "sms",
        "vip",
    ]
)
WORDS_THAT_ARE_LETTERS = frozenset({"a", "i"})


def curated(word: str) -> str | None:
    return word.upper() if word.lower() in CURATED else None


def spelled_run_end(words: list[str], i: int) -> int:
    """Where a run of single letters read one by one ('n e c') starting at i ends; i if none.

    A run needs two letters or more and at least one that is not also a word ('a', 'i')."""
    j = i
    while j < len(words) and len(words[j]) == 1 and words[j].isalpha():
        j += 1
    run = {w.lower() for w in words[i:j]}
    if j - i >= 2 and run - WORDS_THAT_ARE_LETTERS:
        return j
    return i
