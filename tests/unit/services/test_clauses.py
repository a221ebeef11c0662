"""The clause cutter: where a streamed translation is cut into pieces spoken on their own."""

from __future__ import annotations

import pytest

from voxnode.services.translate.clauses import ClauseCutter, find_cut, join_pieces, rules_for

ZH, EN = rules_for("zh"), rules_for("en")


@pytest.mark.parametrize(
    ("text", "final", "piece"),
    [
        # Chinese: sentence ends always, clause marks once the piece has 4 characters
        ("我们明天开会。请准时", False, "我们明天开会。"),
        ("你好，我是小王。我", False, "你好，我是小王。"),  # the first clause is too short alone
        ("如果明天下雨，我们就改期。", False, "如果明天下雨，"),
        (
            "苹果、香蕉、橘子都有。我",
            False,
            "苹果、香蕉、橘子都有。",
        ),  # an enumeration comma does not cut
        ("价格是3.5元，我", False, "价格是3.5元，"),
        ("价格是3.", False, None),  # 3.5 or a sentence end: the next character decides
        ("共1,250元，已付", False, "共1,250元，"),
        ("会议在3:00开始。我", False, "会议在3:00开始。"),
        ("他说：“好的。”然后", False, "他说：“好的。”"),
        ("他说好的。", False, None),  # a closing quote may follow: wait one character
        ("他说好的。", True, "他说好的。"),
        ("我们明天,见面", False, "我们明天,"),
        ("我们,明天见", True, "我们,明天见"),  # 我们, is too short alone
        ("没有标点的一句话", False, None),
        ("没有标点的一句话", True, "没有标点的一句话"),
        # English: sentence ends before a capital, clause marks once the piece has 12
        ("We meet tomorrow. Please", False, "We meet tomorrow."),
        ("We meet tomorrow. please", False, None),  # a lower-case word: no sentence end
        ("We meet tomorrow. ", False, None),  # the next word decides
        ("We meet tomorrow.", True, "We meet tomorrow."),
        ("Is it ready? Yes", False, "Is it ready?"),
        ("If it rains tomorrow, we stay", False, "If it rains tomorrow,"),
        ("However, we", False, None),  # "However," is too short on its own
        ("It costs 3.5 dollars. The", False, "It costs 3.5 dollars."),
        ("We paid 1,250 dollars, and", False, "We paid 1,250 dollars,"),
        ("The price is 3.", False, None),
        ("Meet Mr. Smith at 3 p.m. tomorrow. Bring", False, "Meet Mr. Smith at 3 p.m. tomorrow."),
        ("Ask Dr. Lee. He", False, "Ask Dr. Lee."),
        ("Send it to the U.S. office. Then", False, "Send it to the U.S. office."),
        ("J. Smith wrote it. We", False, "J. Smith wrote it."),
        ("Bring fruit e.g. apples. We", False, "Bring fruit e.g. apples."),
        ("See www.example.com today. Go", False, "See www.example.com today."),
        ('He said "yes." Then', False, 'He said "yes."'),
        ("Wait... What", False, "Wait..."),
        ("It starts at 3:00 sharp. We", False, "It starts at 3:00 sharp."),
        ("Good.", False, None),
        ("", True, None),
        ("   ", True, None),
    ],
)
def test_find_cut(text: str, final: bool, piece: str | None) -> None:
    rules = ZH if any("\u4e00" <= c <= "\u9fff" for c in text) else EN
    end = find_cut(text, final=final, rules=rules)
    assert (text[:end].strip() if end is not None else None) == piece


def test_a_long_piece_without_punctuation_is_cut_at_the_limit_but_not_inside_a_word() -> None:
    chinese = "这是一句很长很长的没有任何标点符号的中文句子它一直说下去直到超过上限为止还在说"
    assert find_cut(chinese, final=False, rules=ZH) == ZH.max_chars
    mixed = "一二三四五六七八九十" * 3 + "一二三四 GPU12345 后面"
    end = find_cut(mixed, final=False, rules=ZH)
    assert end is not None and mixed[:end].strip().endswith("一二三四")
    english = "word " * 25
    end = find_cut(english, final=False, rules=EN)
    assert end is not None and english[:end].strip() == ("word " * 18).strip()


@pytest.mark.parametrize(
    ("tokens", "rules", "pieces"),
    [
        (["我们", "明天", "需要", "翻译", "这份", "合同", "，", "请", "在", "周五", "之前",
          "发给", "我", "。"], ZH, ["我们明天需要翻译这份合同，", "请在周五之前发给我。"]),
        (["We", " need", " to", " translate", " this", " contract", " tomorrow", ".", " Please",
          " send", " it", " by", " Friday", "."], EN,
         ["We need to translate this contract tomorrow.", "Please send it by Friday."]),
        (["The", " meeting", " is", " at", " 3", ".", "30", " p", ".m", ".", " Don", "'t",
          " be", " late", "."], EN, ["The meeting is at 3.30 p.m. Don't be late."]),
        (["It", " costs", " 1", ",", "000", " yuan", ",", " paid", " in", " cash", "."], EN,
         ["It costs 1,000 yuan,", "paid in cash."]),
    ],
)  # fmt: skip
def test_a_stream_of_tokens_is_cut_into_pieces_that_join_back(
    tokens: list[str], rules: object, pieces: list[str]
) -> None:
    cutter = ClauseCutter(rules)  # type: ignore[arg-type]
    got = [piece for token in tokens for piece in cutter.feed(token)] + cutter.finish()
    assert got == pieces
    assert join_pieces(got, rules) == "".join(tokens)  # type: ignore[arg-type]


def test_pieces_come_as_soon_as_they_are_certain() -> None:
    cutter = ClauseCutter(EN)
    assert cutter.feed("We need the contract.") == []
    assert cutter.feed(" Please") == ["We need the contract."]
    assert cutter.feed(" send it.") == []
    assert cutter.finish() == ["Please send it."]
    assert cutter.finish() == []
