from __future__ import annotations

from voxnode.pipeline.aggregation import incompleteness, join, should_hold


def test_short_unfinished_fragments_are_held() -> None:
    assert should_hold("so the", None, 2.5)
    assert should_hold("我们明天", None, 2.5)
    assert should_hold("the meeting and", 0.3, 2.5)


def test_finished_or_long_text_is_sent() -> None:
    assert not should_hold("Yes.", None, 2.5) or incompleteness("Yes.", None) >= 2.5
    assert not should_hold("We will meet at the office tomorrow morning at nine", None, 2.5)
    assert not should_hold("我们明天下午三点在会议室开会讨论这份合同。", None, 2.5)
    assert not should_hold("", None, 2.5)


def test_scores_follow_the_origin_weights() -> None:
    assert incompleteness("Hello there, how are you today?", None) == 0  # 6 words, final mark
    assert incompleteness("hi", None) == 2 + 3 + 1  # short, very short, no final mark
    assert incompleteness("hi", 0.2) == 7  # and low quality


def test_join_uses_the_script() -> None:
    assert join("so the", "meeting starts.") == "so the meeting starts."
    assert join("我们明天", "开会。") == "我们明天开会。"
    assert join("", "alone") == "alone"
