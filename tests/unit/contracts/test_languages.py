from __future__ import annotations

import pytest

from voxnode.contracts.languages import language_code, language_name


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("zh-CN", "zh"),
        ("zh_CN", "zh"),
        ("EN_us", "en"),
        (" en ", "en"),
        ("yue", "yue"),
        ("ZH", "zh"),
    ],
)
def test_language_code(raw: str, code: str) -> None:
    assert language_code(raw) == code


def test_language_name() -> None:
    assert language_name("zh_CN") == "Simplified Chinese"
    assert language_name("xx") == "xx"
