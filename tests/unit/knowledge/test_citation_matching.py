"""Citations the model left out, matched by the node."""

from __future__ import annotations

import pytest

from voxnode.knowledge.citation_matching import attribute, best_passage, words_of

BRONCOS = (
    "Super Bowl 50 was an American football game to determine the champion of the NFL for "
    "the 2015 season. The Denver Broncos defeated the Carolina Panthers 24-10."
)
WEITOU = "围头村具有得天独厚的海洋环境，坐拥自然生态和人文生态两大休闲旅游资源。"
PASSAGES = [BRONCOS, WEITOU]


@pytest.mark.parametrize(
    ("answer", "expected", "added"),
    [
        (
            "The Denver Broncos defeated the Carolina Panthers. It was 3.5 hours long.",
            "The Denver Broncos defeated the Carolina Panthers [1]. It was 3.5 hours long.",
            [1],
        ),
        (
            "围头村坐拥自然生态和人文生态两大资源。",
            "围头村坐拥自然生态和人文生态两大资源[2]。",
            [2],
        ),
        ("The Broncos won [2].", "The Broncos won [2].", []),  # the model's own stays
        ("Yes.", "Yes.", []),  # too short to tell passages apart
        ("The knowledge base does not answer this question.",) * 2 + ([],),
        (
            "The Broncos beat the Carolina Panthers in the 2015 season\n\nHope this helps",
            "The Broncos beat the Carolina Panthers in the 2015 season [1]\n\nHope this helps",
            [1],
        ),
    ],
)
def test_unmarked_sentences_get_the_passage_they_copy(
    answer: str, expected: str, added: list[int]
) -> None:
    assert attribute(answer, PASSAGES) == (expected, added)


def test_nothing_of_the_answer_is_lost_but_markers_are_added() -> None:
    answer = "  Denver Broncos defeated Carolina Panthers!!  围头村坐拥两大休闲旅游资源。\n\n.?"
    text, added = attribute(answer, PASSAGES)
    assert added == [1, 2]
    assert text.replace(" [1]", "").replace("[2]", "") == answer


def test_function_words_do_not_match_every_passage() -> None:
    assert "the" not in words_of("The champion of the season")
    assert best_passage("What is the name of the thing that is in it?", [words_of(BRONCOS)]) is None


def test_the_passage_with_the_largest_share_wins() -> None:
    passages = [words_of("Denver is a city in Colorado."), words_of(BRONCOS)]
    assert best_passage("Denver Broncos defeated Carolina Panthers", passages) == 2
