"""Language detection, token estimates and BM25 words."""

from __future__ import annotations

import pytest

from voxnode.knowledge.text_units import KeywordTokenizer, detect_language, estimate_tokens


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("请在周五之前把合同发给我。", "zh"),
        ("Please send me the contract before Friday.", "en"),
        ("EXILE的第15张单曲是什么？", "zh"),
        ("What does the word 会议室 mean?", "en"),
        ("2016 / 42", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_estimates_grow_with_the_text() -> None:
    assert estimate_tokens("会议室") == pytest.approx(2.4)
    assert estimate_tokens("the meeting room") == pytest.approx(4.2)
    assert estimate_tokens("") == 0


def test_keyword_tokens_for_chinese_and_english() -> None:
    tokens = KeywordTokenizer().tokens("What is the Bielany Forest? 黑龙江省博物馆始建于1904年")
    assert tokens[:2] == ["bielany", "forest"]  # lower case, function words skipped
    assert "博物馆" in tokens and "1904" in tokens and "the" not in tokens
