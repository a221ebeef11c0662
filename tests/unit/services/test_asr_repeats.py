"""Whisper's loop in a fitted window: the answer said twice is caught (the full decode answers)."""

from __future__ import annotations

import pytest

from voxnode.services.asr.engine import repeats_itself


@pytest.mark.parametrize(
    ("text", "loops"),
    [
        ("The quality is better than last year. The quality is better than last year.", True),
        ("现在已过去了约4分钟现在已过去了约4分钟", True),
        ("which we did. Which we did.", True),
        ("No, no, no.", False),  # shorter than three words
        ("谢谢谢谢", False),
        ("Please send me the contract before Friday.", False),
        ("我们明天需要翻译这份合同", False),
        ("", False),
    ],
)
def test_repeats_itself(text: str, loops: bool) -> None:
    assert repeats_itself(text) is loops
