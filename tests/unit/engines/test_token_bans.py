"""Which tokens each ban takes: a CJK ban for English answers, an English-word ban for
Chinese ones that leaves names, acronyms, digits and single letters alone."""

from __future__ import annotations

import pytest

from voxnode.engines.llm_engine import Sampling
from voxnode.engines.token_bans import banned_token_ids, is_cjk_piece, is_latin_word_piece


@pytest.mark.parametrize(
    ("piece", "banned"),
    [
        (" executives", True), (" downturn", True), (" the", True), ("executives", False),
        (" Heathrow", False), (" NASA", False), (" a", False), (" 2016", False), ("市场", False),
        (" iPhone", False),
    ],
)  # fmt: skip
def test_an_english_word_after_a_space_is_banned_a_name_is_not(piece: str, banned: bool) -> None:
    assert is_latin_word_piece(piece.encode()) is banned


def test_each_ban_scans_the_whole_vocabulary() -> None:
    vocab = [b" the", "市".encode(), b"Paris", "，".encode(), b" cat", b"\xe5"]
    assert banned_token_ids(lambda t: vocab[t], len(vocab), "latin_words") == [0, 4]
    assert banned_token_ids(lambda t: vocab[t], len(vocab), "cjk") == [1, 3, 5]
    assert not is_cjk_piece(b" cat")


def test_a_sampling_names_the_bans_it_asks_for() -> None:
    assert Sampling().bans() == ()
    assert Sampling(no_cjk=True, no_latin_words=True).bans() == ("cjk", "latin_words")
