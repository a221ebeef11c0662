from __future__ import annotations

import time

import pytest

from voxnode.services.repair.en_guards import rejection
from voxnode.services.repair.en_repairer import EnPolicy, EnRepairer
from voxnode.testing.fake_engine import FakeEngine

FAR = time.monotonic() + 60


def run(engine: FakeEngine, text: str, **kw: object):
    repairer = EnRepairer(engine, EnPolicy(margin=3.0, rank_prior=1.0))
    defaults: dict[str, object] = dict(quality=None, meta={}, context="", glossary=[], deadline=FAR)
    return repairer.repair(text, **(defaults | kw))  # type: ignore[arg-type]


def test_confident_text_never_reaches_the_model() -> None:
    engine = FakeEngine()
    outcome = run(engine, "i want to buy a ticket", meta={"nbest": ["i want to buy a ticket"] * 5})
    assert outcome.source is None and engine.calls == 0


def test_an_nbest_alternative_the_beam_prefers_wins_by_the_margin() -> None:
    nbest = ["we need the whether report"] + ["we need the weather report"] * 2 + ["x y z"] * 2
    engine = FakeEngine(
        scores={"we need the whether report": -40.0, "we need the weather report": -30.0}
    )
    outcome = run(engine, nbest[0], meta={"nbest": nbest})
    assert outcome.text == "we need the weather report" and outcome.source == "nbest:1"


def test_an_alternative_under_the_margin_leaves_the_1best() -> None:
    nbest = ["we need the whether report"] + ["we need the weather report"] * 2
    engine = FakeEngine(
        scores={"we need the whether report": -40.0, "we need the weather report": -38.5}
    )
    assert run(engine, nbest[0], meta={"nbest": nbest}).source is None


def test_a_shorter_hypothesis_is_never_scored() -> None:
    """Sentence likelihood prefers fewer words: dropping "he said" would always win."""
    nbest = ["the rate will rise he said", "the rate will rise", "the rate will rise he says"]
    engine = FakeEngine(
        scores={"the rate will rise he said": -30.0, "the rate will rise": -12.0,
                "the rate will rise he says": -31.0}
    )  # fmt: skip
    outcome = run(engine, nbest[0], meta={"nbest": nbest})
    assert outcome.source is None and outcome.rejected == {"nbest:1": "WORD_COUNT_CHANGED"}


def test_each_changed_word_costs_the_candidate() -> None:
    one, two = "we need the weather report", "we need a weather report"
    scores = {"we need the whether report": -40.0, one: -34.0, two: -34.0}
    # 6 nats better, less rank 1 and 2 per changed word: one word wins (3), two do not (1)
    for candidate, wins in ((one, True), (two, False)):
        nbest = ["we need the whether report", candidate]
        outcome = run(FakeEngine(scores=scores), nbest[0], meta={"nbest": nbest})
        assert (outcome.source == "nbest:1") is wins


def test_low_quality_without_nbest_asks_the_llm_and_guards_its_answer() -> None:
    engine = FakeEngine(
        reply="Corrected: i want to buy a ticket",
        scores={"i want to by a ticket": -40.0, "i want to buy a ticket": -30.0},
    )
    outcome = run(engine, "i want to by a ticket", quality=0.3)
    assert outcome.text == "i want to buy a ticket" and outcome.source == "llm"
    assert outcome.triggered == ["LOW_QUALITY_SCORE"]


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("Here is the corrected sentence: I want to buy a ticket", "EXPLANATION"),
        ("i want to by a ticket and then go home right after that", "CONTINUATION"),
        ("我想买一张票", "TRANSLATED"),
        ("so i really want to go by a ticket", "WORD_COUNT_CHANGED"),
        ("she wanted to buy the ticket", "EDIT_DISTANCE_EXCEEDED"),
    ],
)
def test_llm_answers_that_are_not_repairs_are_discarded(reply: str, why: str) -> None:
    engine = FakeEngine(reply=reply)
    outcome = run(engine, "i want to by a ticket", quality=0.3)
    assert outcome.source is None and outcome.rejected == {"llm": why}


def test_numbers_and_acronyms_are_protected() -> None:
    kw = dict(glossary=["VoxNode"], max_word_change=2, max_length_change=0.2, max_edit_ratio=0.5)
    assert rejection("pay 50 to NEC", "pay 15 to NEC", **kw) == "PROTECTED_TOKEN_CHANGED"  # type: ignore[arg-type]
    assert rejection("ask the gpu team", "ask the cpu team", **kw) == "PROTECTED_TOKEN_CHANGED"  # type: ignore[arg-type]
    assert rejection("use VoxNode here", "use vox node here", **kw) == "PROTECTED_TOKEN_CHANGED"  # type: ignore[arg-type]
    assert rejection("i want to by it", "i want to buy it", **kw) is None  # type: ignore[arg-type]


def test_length_and_edit_caps_when_words_may_be_added() -> None:
    kw = dict(glossary=[], max_word_change=5, max_length_change=0.2, max_edit_ratio=0.34)
    assert rejection("i want it", "so i really want it", **kw) == "LENGTH_CHANGE_EXCEEDED"  # type: ignore[arg-type]
    assert rejection("a b c d e f", "a x y z e f", **kw) == "EDIT_DISTANCE_EXCEEDED"  # type: ignore[arg-type]
