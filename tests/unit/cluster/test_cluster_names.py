"""Subjects, consumer names and keys."""

from __future__ import annotations

import pytest

from voxnode.cluster import cluster_names as names
from voxnode.cluster.cluster_names import Pair
from voxnode.contracts.errors import BadInputError


@pytest.mark.parametrize(
    ("src", "tgt", "pair"),
    [("zh", "en", Pair("zh", "en")), ("zh-CN", "EN_us", Pair("zh", "en"))],
)
def test_pair_of_uses_the_language_code_rule(src: str, tgt: str, pair: Pair) -> None:
    assert names.pair_of(src, tgt) == pair


@pytest.mark.parametrize(
    ("src", "tgt", "code"),
    [
        ("auto", "en", "PAIR_REQUIRED"),  # the subject needs a concrete source
        ("zh", "auto", "PAIR_REQUIRED"),
        ("z.h", "en", "PAIR_REQUIRED"),  # a dot would be another subject token
        ("zh", "*", "PAIR_REQUIRED"),
        ("en", "en-GB", "SAME_LANGUAGE"),
    ],
)
def test_pair_of_refuses(src: str, tgt: str, code: str) -> None:
    with pytest.raises(BadInputError) as caught:
        names.pair_of(src, tgt)
    assert caught.value.code == code


def test_names_of_a_pair() -> None:
    pair = Pair("zh", "en")
    assert names.job_subject(pair) == "jobs.zh.en"
    assert names.consumer_name(pair) == "pair-zh-en"
    assert names.dead_letter_subject(pair) == "deadletter.zh.en"
    assert names.dead_letter_subject(None) == "deadletter.unknown"
    assert names.pair_of_subject("jobs.zh.en") == pair
    assert names.pair_of_subject("jobs.zh") is None
    assert names.pair_of_subject("deadletter.zh.en") is None
    assert names.outcome_key("c1", "j1") == "c1.j1"


@pytest.mark.parametrize("value", ["job-1", "A_b-9", "x" * 128])
def test_tokens_accepted(value: str) -> None:
    assert names.check_token(value, "job_id") == value


@pytest.mark.parametrize("value", ["", "a.b", "a b", "a*", ">", "x" * 129, "é"])
def test_tokens_refused(value: str) -> None:
    with pytest.raises(BadInputError):
        names.check_token(value, "job_id")
