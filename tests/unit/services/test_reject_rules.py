import pytest

from voxnode.services.common.reject_rules import reject_reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("...", "NOISE"),
        ("[音乐] ♪♪", "NOISE"),
        ("Thanks for watching!", "HALLUCINATED_BOILERPLATE"),
        ("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "HALLUCINATED_BOILERPLATE"),
        ("the the the the the the", "REPETITION_LOOP"),
        ("谢谢谢谢谢谢谢谢谢谢", "REPETITION_LOOP"),
        ("you know you know you know you know", "REPETITION_LOOP"),
    ],
)
def test_garbage_is_rejected_with_its_rule(text: str, reason: str) -> None:
    assert reject_reason(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "thanks for watching the match with me yesterday",
        "好好学习，天天向上",
        "no no no, I said yes",
    ],
)
def test_real_speech_is_not_rejected(text: str) -> None:
    assert reject_reason(text) is None
