"""ZhRepairer's gate, with a lexicon whose language model is a table of sentence scores."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import jieba
import jieba.posseg
import pytest

from voxnode.services.common.deadline import DeadlineExceeded
from voxnode.services.repair.settings import ZhMargins
from voxnode.services.repair.zh_lexicon import ZhLexicon
from voxnode.services.repair.zh_repairer import ZhRepairer
from voxnode.testing.fake_engine import FakeEngine


class TableLexicon(ZhLexicon):
    def __init__(self, scores: dict[str, float], same_tone: dict[str, str]):
        super().__init__(Path("-"), Path("-"), Path("-"))
        self.table = scores
        self.same_tone = same_tone
        self.common = frozenset("".join(scores) + "".join(same_tone.values()))
        self.scored: list[str] = []

    def score(self, text: str) -> float:
        self.scored.append(text)
        return self.table.get(text, -100.0)

    def to_simplified(self, text: str) -> str:
        return text.replace("會", "会").replace("議", "议")


def table_margins(**margins: float) -> ZhMargins:
    """Margins for a table lexicon: a table of sentence scores has no trigram states to
    re-decode a sentence with (zh_lattice's joint rewrites have tests of their own)."""
    return ZhMargins(joint_rewrites=False, **margins)  # type: ignore[arg-type]


def repairer(scores: dict[str, float], **margins: float) -> ZhRepairer:
    lexicon = TableLexicon(scores, {"是": "室事", "在": "再"})
    return ZhRepairer(lexicon, table_margins(**margins))  # type: ignore[arg-type]


def test_a_candidate_that_wins_by_the_margin_is_applied() -> None:
    r = repairer({"在会议是": -30.0, "在会议室": -20.0})
    outcome = r.repair("在会议是")
    assert outcome.text == "在会议室"
    assert [(e.old, e.new) for e in outcome.edits] == [("是", "室")]


def test_a_candidate_under_the_margin_is_not() -> None:
    r = repairer({"在会议是": -30.0, "在会议室": -25.5})
    assert r.repair("在会议是").text == "在会议是"


def test_a_sentence_still_suspicious_after_the_edit_is_left_alone() -> None:
    scores = {"在会议是": -40.0, "在会议室": -30.0, "再会议室": -28.5}
    outcome = repairer(scores, next_margin=4.0, residual_margin=1.0).repair("在会议是")
    assert outcome.text == "在会议是" and outcome.abstained


def test_traditional_input_is_simplified_even_without_an_edit() -> None:
    outcome = repairer({"在会议室": -20.0}).repair("在會議室")
    assert outcome.text == "在会议室" and outcome.simplified and not outcome.edits


def test_protected_terms_are_never_edited() -> None:
    r = repairer({"在会议是": -30.0, "在会议室": -20.0})
    assert r.repair("在会议是", protected=["议是"]).text == "在会议是"


def test_context_is_scored_in_front_of_every_candidate() -> None:
    r = repairer({"上一句。在会议是": -30.0, "上一句。在会议室": -20.0})
    assert r.repair("在会议是", context="上一句。").text == "在会议室"
    assert all(s.startswith("上一句。") for s in r.lexicon.scored)  # type: ignore[attr-defined]


def test_a_passed_deadline_stops_the_search() -> None:
    with pytest.raises(DeadlineExceeded):
        repairer({"在会议是": -30.0}).repair("在会议是", deadline=time.monotonic() - 1)


def test_edits_made_before_the_search_budget_ran_out_stand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticks = itertools.count(1)  # each look at the clock: 0.1 s later
    monkeypatch.setattr(
        "voxnode.services.repair.zh_repairer.time.monotonic", lambda: next(ticks) / 10
    )
    scores = {"在会议是": -40.0, "在会议室": -30.0, "再会议室": -10.0}
    outcome = repairer(scores, search_budget_ms=150).repair("在会议是")  # one round's time
    assert outcome.text == "在会议室"  # the second round (再) did not start in time


def test_transliterated_names_are_left_alone() -> None:
    lexicon = TableLexicon({"伊梅尔达": -40.0, "伊美尔达": -20.0}, {"梅": "美"})
    assert ZhRepairer(lexicon, table_margins()).repair("伊梅尔达").text == "伊梅尔达"


def test_by_default_a_part_repair_is_kept() -> None:
    scores = {"在会议是": -40.0, "在会议室": -30.0, "再会议室": -28.5}
    outcome = repairer(scores, next_margin=4.0).repair("在会议是")
    assert outcome.text == "在会议室" and not outcome.abstained


def test_islands_are_characters_no_dictionary_word_covers() -> None:
    from voxnode.services.repair.zh_repairer import _islands

    assert _islands("翻译证份合同", {"翻译", "合同", "这份"}) == {2, 3}
    assert _islands("a翻译", {"翻译"}) == set()  # not Han, or covered


def test_person_names_and_titles_are_found_and_left_alone() -> None:
    lexicon = TableLexicon({"教授张俐娜": -40.0, "教授张俐李": -20.0}, {"娜": "李"})
    lexicon._tagger = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    assert lexicon.name_positions("教授张俐娜读《小石潭记》") == {2, 3, 4, *range(6, 12)}
    assert ZhRepairer(lexicon, table_margins()).repair("教授张俐娜").text == "教授张俐娜"
    unguarded = ZhRepairer(lexicon, table_margins(protect_names=False))
    assert unguarded.repair("教授张俐娜").text == "教授张俐李"  # what the guard prevents


def test_a_word_the_trigram_lacks_is_scored_as_the_words_it_knows() -> None:
    lexicon = ZhLexicon(Path("-"), Path("-"), Path("-"))
    lexicon._lm = {"这", "份", "会议", "室", "翻译"}  # membership is all lm_words asks
    assert lexicon.lm_words("这份") == ["这", "份"]  # jieba has it, libime does not
    assert lexicon.lm_words("会议室") == ["会议", "室"]  # the longest known prefix first
    assert lexicon.lm_words("翻译") == ["翻译"]
    assert lexicon.lm_words("证") == ["证"]


def test_a_character_inside_a_word_costs_more_to_replace() -> None:
    lexicon = TableLexicon({"一国两制": -40.0, "一国两智": -36.0}, {"制": "智"})
    lexicon._jieba = jieba.Tokenizer()
    assert lexicon.word_positions("一国两制好") == {0, 1, 2, 3}
    assert ZhRepairer(lexicon, table_margins(first_margin=2)).repair("一国两制").text == "一国两制"
    loose = ZhRepairer(lexicon, table_margins(first_margin=2, inside_word_penalty=0))
    assert loose.repair("一国两制").text == "一国两智"  # what the penalty prevents


def test_a_sentence_two_windows_reach_is_judged_by_the_cheaper_one() -> None:
    """一时 -> 衣食 (a known word replaced, two characters changed) and 一时住行 -> 衣食住行 (a
    four-character word made) give the same sentence: the cheaper window decides."""
    lexicon = TableLexicon({"少不了一时住行": -40.0, "少不了衣食住行": -36.0}, {})
    lexicon.words = {"一时": 100, "衣食": 100, "衣食住行": 68}
    lexicon.by_pinyin = {("yi", "shi"): ["衣食"], ("yi", "shi", "zhu", "xing"): ["衣食住行"]}
    outcome = ZhRepairer(lexicon, table_margins(first_margin=3)).repair("少不了一时住行")
    assert outcome.text == "少不了衣食住行"
    assert [(e.old, e.new) for e in outcome.edits] == [("一时住行", "衣食住行")]


def test_a_non_word_pays_no_near_homophone_cost_and_a_same_sound_one_gets_no_bonus() -> None:
    """证份 (no word covers it) -> 这份 is one nasal away (zheng/zhe, cost 2): the island bonus
    waives that cost. 固乡 -> 故乡 sounds the same and costs nothing: no bonus to add."""
    lexicon = TableLexicon(
        {"翻译证份合同": -40.0, "翻译这份合同": -36.5, "上固乡村": -40.0, "上故乡村": -37.5}, {}
    )
    lexicon.words = {"翻译": 100, "合同": 100, "这份": 100, "故乡": 100}
    lexicon.by_pinyin = {("zhe", "fen"): ["这份"], ("gu", "xiang"): ["故乡"]}

    def repaired(text: str, island_bonus: float) -> str:
        margins = table_margins(first_margin=3, island_bonus=island_bonus)
        return ZhRepairer(lexicon, margins).repair(text).text

    assert repaired("翻译证份合同", island_bonus=2) == "翻译这份合同"  # 3.5 - (2 - 2)
    assert repaired("翻译证份合同", island_bonus=0) == "翻译证份合同"  # 3.5 - 2
    assert repaired("上固乡村", island_bonus=2) == "上固乡村"  # 2.5, no bonus


def test_after_an_edit_only_candidates_within_its_reach_are_scored_again() -> None:
    filler = "好" * 12
    lexicon = TableLexicon(
        {f"会议是{filler}在": -40.0, f"会议室{filler}在": -30.0}, {"是": "室", "在": "再"}
    )
    outcome = ZhRepairer(lexicon, table_margins(first_margin=3)).repair(f"会议是{filler}在")
    assert outcome.text == f"会议室{filler}在"
    far = f"会议室{filler}再"  # 在 -> 再, 13 characters from the edit: its gain is kept
    assert f"会议是{filler}再" in lexicon.scored and far not in lexicon.scored


@pytest.mark.parametrize(
    ("llm_scores", "made"),
    [
        ({"在会议是": -30.0, "在会议室": -20.0}, True),
        ({"在会议是": -30.0, "在会议室": -29.5}, False),
    ],
)
def test_the_llm_judge_makes_a_gray_zone_edit_only_when_it_agrees(
    llm_scores: dict[str, float], made: bool
) -> None:
    lexicon = TableLexicon({"在会议是": -30.0, "在会议室": -26.0}, {"是": "室事", "在": "再"})
    judge = FakeEngine(scores=llm_scores)
    r = ZhRepairer(lexicon, table_margins(judge_band=2.0, judge_margin=1.0), judge=judge)
    assert (r.repair("在会议是").text == "在会议室") is made  # 4 < 5: short of the margin
    assert judge.scored[:2] == ["在会议是", "在会议室"]


def test_the_llm_judge_is_not_asked_outside_the_gray_zone_and_a_failing_one_is_ignored() -> None:
    lexicon = TableLexicon({"在会议是": -30.0, "在会议室": -27.5}, {"是": "室事", "在": "再"})
    far = FakeEngine(scores={"在会议室": 0.0})
    gated = ZhRepairer(lexicon, table_margins(judge_band=2.0), judge=far)
    assert gated.repair("在会议是").text == "在会议是"
    assert far.scored == []  # 2.5 short of the margin: outside a band of 2
    broken = FakeEngine(scores={"在会议室": 0.0}, fail_after=0)
    r = ZhRepairer(lexicon, table_margins(judge_band=3.0), judge=broken)
    assert r.repair("在会议是").text == "在会议是"
