"""LocalAgreement-2: committed text only grows, and only where two decodes agree."""

from __future__ import annotations

import itertools

import pytest

from voxnode.pipeline.local_agreement import LocalAgreement, units


@pytest.mark.parametrize(
    ("hypotheses", "views"),
    [
        (  # English: each decode hears more; agreed words commit one decode later
            ["We need", "We need to translate", "We need to translate this contract.",
             "We need to translate this contract tomorrow."],
            [("", "We need"), ("We need", " to translate"),
             ("We need to translate", " this contract."),
             ("We need to translate this contract", " tomorrow.")],
        ),
        (  # case and punctuation do not break agreement; committed words keep their spelling
            ["hello world", "Hello, world. How", "Hello world, how are you"],
            [("", "hello world"), ("Hello, world.", " How"), ("Hello, world. how", " are you")],
        ),
        (  # a decode that changes its mind about a tentative word commits only the agreed part
            ["I want to buy", "I want two bikes", "I want two bikes now"],
            [("", "I want to buy"), ("I want", " two bikes"), ("I want two bikes", " now")],
        ),
        (  # a decode contradicting committed words: nothing more is committed, nothing retracted
            ["see you", "see you there", "sea ewe there soon", "see you there soon"],
            [("", "see you"), ("see you", " there"), ("see you", " there soon"),
             ("see you", " there soon")],
        ),
        (  # Chinese: character by character, punctuation with the character before
            ["我们明天", "我们明天需要", "我们明天需要翻译，", "我们明天需要翻译这份合同。"],
            [("", "我们明天"), ("我们明天", "需要"), ("我们明天需要", "翻译，"),
             ("我们明天需要翻译", "这份合同。")],
        ),
        (  # a shorter decode than what is committed shows no tentative text
            ["one two three", "one two three four", "one two"],
            [("", "one two three"), ("one two three", " four"), ("one two three", "")],
        ),
        (["", "", "hi"], [("", ""), ("", ""), ("", "hi")]),
    ],
)  # fmt: skip
def test_agreement(hypotheses: list[str], views: list[tuple[str, str]]) -> None:
    agreement = LocalAgreement()
    got = [agreement.update(h) for h in hypotheses]
    assert [(v.committed, v.tentative) for v in got] == views
    committed = [v.committed for v in got]
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(committed))


def test_units_keep_spaces_and_attach_punctuation() -> None:
    assert [u.shown for u in units("Hi, it's 3.5 km. 好的！")] == [
        "Hi,", " it's", " 3.5", " km.", " 好", "的！",
    ]  # fmt: skip
    assert [u.key for u in units("Hi, it's 3.5 km.")] == ["hi", "its", "35", "km"]
