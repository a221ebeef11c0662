from __future__ import annotations

import time

import pytest

from voxnode.services.translate.guards import clean, violation
from voxnode.services.translate.translator import LlmTranslator, TranslationRejectedError
from voxnode.testing.fake_engine import FakeEngine


@pytest.mark.parametrize(
    ("source", "output", "src", "tgt", "why"),
    [
        ("我们明天开会。", "We meet tomorrow.", "zh", "en", None),
        ("Good morning.", "早上好。", "en", "zh", None),
        ("Good morning.", "Good morning.", "en", "zh", "NOT_TARGET_LANGUAGE"),
        ("我们明天开会。", "We meet 明天.", "zh", "en", "NOT_TARGET_LANGUAGE"),
        ("我们明天开会。", "Here is the translation: we meet.", "zh", "en", "EXPLANATION"),
        ("我们需要翻译合同。", "We need to translate the contract.", "zh", "en", None),
        ("I have 25 apples.", "我有2个苹果。", "en", "zh", "NUMBER_CHANGED"),
        ("I have 25 apples.", "我有二十五个苹果。", "en", "zh", None),
        ("Meet at 03:00.", "三点见。", "en", "zh", None),
        ("价格是1,250元。", "The price is 1250 yuan.", "zh", "en", None),
        ("好。", "Good. " * 30, "zh", "en", "LENGTH_IMPLAUSIBLE"),
        ("Hi.", "", "en", "zh", "EMPTY"),
    ],
)
def test_guards(source: str, output: str, src: str, tgt: str, why: str | None) -> None:
    assert violation(source, output, src, tgt) == why


def test_clean_takes_the_first_line_without_label_or_quotes() -> None:
    assert clean('Translation: "We meet tomorrow."\nNote: formal') == "We meet tomorrow."
    assert clean("译文：“早上好。”") == "早上好。"


def test_llm_translator_prompts_strictly_and_keeps_context_out_of_the_text() -> None:
    engine = FakeEngine(reply="早上好。")
    text = LlmTranslator(engine).translate(
        "Good morning.", "en", "zh", context="We met yesterday.", deadline=time.monotonic() + 5
    )
    assert text == "早上好。"
    system, user = engine.prompts[0]
    assert "Simplified Chinese" in system.content and "We met yesterday." in system.content
    assert user.content == "Good morning."


def test_llm_translator_retries_once_then_refuses() -> None:
    engine = FakeEngine(reply="Here is the translation: hello")
    with pytest.raises(TranslationRejectedError) as caught:
        LlmTranslator(engine).translate(
            "你好。", "zh", "en", context=None, deadline=time.monotonic() + 5
        )
    assert engine.calls == 2
    assert caught.value.status == 502 and "EXPLANATION" in caught.value.message
