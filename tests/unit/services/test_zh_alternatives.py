"""Whisper's other hypotheses as rewrites (zh_alternatives)."""

from __future__ import annotations

from voxnode.services.repair.zh_alternatives import alternative_rewrites
from voxnode.services.repair.zh_lattice import Rewrite

TEXT = "基于这样的住残方针"


def test_a_run_another_hypothesis_holds_in_its_place_is_offered() -> None:
    found = alternative_rewrites(TEXT, ["基于这样的助残方针"], [True] * len(TEXT), char_bonus=0.5)
    # the beam vouches for its words: no known-word cost, a bonus for each changed character
    assert found == [Rewrite(5, "住", "助", 1, -0.5, word_cost=False)]


def test_each_run_is_offered_once_and_every_hypothesis_adds_its_own() -> None:
    hypotheses = ["基于这样的助残方针", "基于这样的助残方针。", "机遇这样的住残方针"]
    found = alternative_rewrites(TEXT, hypotheses, [True] * len(TEXT), char_bonus=1.0)
    assert [(r.start, r.old, r.new, r.changed, r.cost) for r in found] == [
        (5, "住", "助", 1, -1.0), (0, "基于", "机遇", 2, -2.0),
    ]  # fmt: skip


def test_runs_that_change_the_length_or_what_may_not_change_are_not_offered() -> None:
    editable = [k != 5 for k in range(len(TEXT))]  # 住 is protected
    hypotheses = ["基于这样的助残方针", "基于这样助残方针", "基于这样的住残方针x",
                  "基于这样的住残方1"]  # fmt: skip
    assert alternative_rewrites(TEXT, hypotheses, editable, char_bonus=1.0) == []
    assert alternative_rewrites(TEXT, [TEXT], [True] * len(TEXT), char_bonus=1.0) == []
