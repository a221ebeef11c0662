"""The one language-code rule every layer uses: 'zh-CN', 'zh_CN' and ' ZH ' are all 'zh'."""

from __future__ import annotations

LANGUAGE_NAMES = {
    "en": "English", "zh": "Simplified Chinese", "ja": "Japanese", "ko": "Korean",
    "fr": "French", "de": "German", "es": "Spanish", "ru": "Russian",
}  # fmt: skip
"""English names, for prompts and messages."""
AUTO = "auto"
"""A source language the ASR detects."""
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "ko"})
"""Written without spaces between words: pieces of their text join with nothing between."""


def language_code(lang: str) -> str:
    """The primary subtag, lower case: what services are matched and compared by."""
    return lang.strip().lower().replace("_", "-").split("-")[0]


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(language_code(code), code)
