from __future__ import annotations

import pytest

from voxnode.pipeline.text_dedup import trim_overlap, trim_repetition


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("您好,我定," * 37 + "今天开会", "您好,我定,今天开会"),
        ("谢谢谢谢", "谢谢谢谢"),  # a double is speech
        ("谢谢谢谢谢谢", "谢谢"),  # a triple is a loop
        ("好的好的", "好的好的"),
        ("thank you " * 4 + "for coming", "thank you for coming"),
        ("no no no", "no no no"),  # one word needs four
        ("no no no no no", "no"),
        ("I said it is very very good", "I said it is very very good"),
        ("The weather is fine.", "The weather is fine."),
    ],
)
def test_repetition_loops(text: str, expected: str) -> None:
    assert trim_repetition(text) == expected


@pytest.mark.parametrize(
    ("previous", "text", "expected"),
    [
        ("我们明天下午三点开会", "三点开会的地点在会议室", "的地点在会议室"),
        ("我们明天下午三点开会", "开会的地点", "开会的地点"),  # 2 characters: could be speech
        ("we will meet at the office", "meet at the office tomorrow", "tomorrow"),
        ("we will meet at the office", "the office is closed", "the office is closed"),
        ("", "anything", "anything"),
        ("same text here", "same text here", "same text here"),  # never to nothing
    ],
)
def test_boundary_overlap(previous: str, text: str, expected: str) -> None:
    assert trim_overlap(previous, text, min_chars=4, min_words=3) == expected
