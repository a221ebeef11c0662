"""Joint rewrites on a real KenLM model: a small ARPA file written by the test (unigrams and
the one bigram KenLM needs at least)."""

from __future__ import annotations

from pathlib import Path

import jieba
import kenlm
import opencc
import pytest
from pypinyin import lazy_pinyin

from voxnode.services.repair.settings import ZhMargins
from voxnode.services.repair.zh_lattice import joint_rewrites
from voxnode.services.repair.zh_lexicon import ZhLexicon
from voxnode.services.repair.zh_repairer import ZhRepairer

UNIGRAMS = {"<s>": -99.0, "</s>": -1.0, "<unk>": -6.0, "帮助": -2.0, "农户": -2.5,
            "脱贫致富": -3.0, "拖": -4.0, "平": -3.5, "之": -3.0, "负": -4.0, "结合": -2.5,
            "起来": -2.0, "，": -1.5}  # fmt: skip


@pytest.fixture(scope="module")
def lexicon(tmp_path_factory: pytest.TempPathFactory) -> ZhLexicon:
    arpa = tmp_path_factory.mktemp("lm") / "small.arpa"
    rows = "\n".join(f"{p}\t{w}\t0" for w, p in UNIGRAMS.items())
    arpa.write_text(
        f"\\data\\\nngram 1={len(UNIGRAMS)}\nngram 2=1\n\n\\1-grams:\n{rows}\n\n"
        "\\2-grams:\n-0.5\t帮助 农户\n\n\\end\\\n",
        encoding="utf-8",
    )
    found = ZhLexicon(arpa, Path("-"), Path("-"))
    found._lm = kenlm.Model(str(arpa))
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    found._jieba = tokenizer
    found._t2s = opencc.OpenCC("t2s")
    words = ("帮助", "农户", "脱贫致富", "结合", "起来")
    found.words = {w: 100 for w in words}
    found.by_pinyin = {tuple(lazy_pinyin(w)): [w] for w in words}
    found.common = frozenset("".join(words) + "拖平之负杰")
    return found


def test_neighbouring_errors_are_rewritten_together(lexicon: ZhLexicon) -> None:
    text = "帮助农户拖平之负，结合起来"
    rewrites = joint_rewrites(lexicon, text, [True] * len(text), change_cost=1.0)
    found = [(r.start, r.old, r.new, r.changed) for r in rewrites]
    assert found == [(4, "拖平之负", "脱贫致富", 4)]
    # ping heard for pin is one fuzzy rule (1.5), 之 (zhi1) for 致 (zhi4) another tone (1)
    assert rewrites[0].cost == pytest.approx(2.5)


def test_a_rewrite_that_costs_more_than_it_gains_is_not_offered(lexicon: ZhLexicon) -> None:
    text = "帮助农户拖平之负"
    assert joint_rewrites(lexicon, text, [True] * len(text), change_cost=5.0) == []


def test_characters_that_may_not_be_edited_stay(lexicon: ZhLexicon) -> None:
    text = "帮助农户拖平之负"
    frozen = [k != 5 for k in range(len(text))]  # 平 is protected
    assert joint_rewrites(lexicon, text, frozen, change_cost=1.0) == []


def test_the_search_applies_a_rewrite_that_clears_its_margin(lexicon: ZhLexicon) -> None:
    margins = ZhMargins(joint_change_cost=1.0, joint_char_penalty=1.0, first_margin=3.0,
                        inside_word_penalty=0, protect_names=False)  # fmt: skip
    outcome = ZhRepairer(lexicon, margins).repair("帮助农户拖平之负")
    assert outcome.text == "帮助农户脱贫致富"
    off = margins.model_copy(update={"joint_rewrites": False})
    assert ZhRepairer(lexicon, off).repair("帮助农户拖平之负").text == "帮助农户拖平之负"


def test_the_search_applies_what_the_asr_also_heard(lexicon: ZhLexicon) -> None:
    margins = ZhMargins(joint_rewrites=False, alternative_char_bonus=0.5, first_margin=3.0,
                        inside_word_penalty=0, protect_names=False)  # fmt: skip
    repairer = ZhRepairer(lexicon, margins)
    assert repairer.repair("帮助农户拖平之负").text == "帮助农户拖平之负"
    heard = repairer.repair("帮助农户拖平之负", alternatives=["帮助农户脱贫致富"])
    assert heard.text == "帮助农户脱贫致富"
    off = margins.model_copy(update={"alternative_char_bonus": None})
    unheard = ZhRepairer(lexicon, off).repair("帮助农户拖平之负", alternatives=["帮助农户脱贫致富"])
    assert unheard.text == "帮助农户拖平之负"
