"""When a stream decodes the utterance so far (table-driven)."""

from __future__ import annotations

import pytest

from voxnode.pipeline.decode_policy import DecodeKind, DecodeRules, DecodeState, next_decode

RULES = DecodeRules(interval=30, early_final=3)
PARTIAL, EARLY = DecodeKind.PARTIAL, DecodeKind.EARLY_FINAL


@pytest.mark.parametrize(
    ("state", "rules", "decode"),
    [
        (DecodeState(False, False, 99, 0, True), RULES, None),  # between utterances
        (DecodeState(True, False, 10, 0, True), RULES, None),  # too soon since the last
        (DecodeState(True, False, 30, 0, True), RULES, PARTIAL),
        (DecodeState(True, True, 30, 0, True), RULES, None),  # one at a time
        (DecodeState(True, False, 30, 0, False), RULES, None),  # nothing new to hear
        (DecodeState(True, False, 5, 3, True), RULES, EARLY),  # silence: the early final now
        (DecodeState(True, False, 40, 2, True), RULES, PARTIAL),
        (DecodeState(True, True, 5, 9, True), RULES, None),  # after the decode in flight
        (DecodeState(True, False, 5, 9, False), RULES, None),  # it already heard everything
        (DecodeState(True, False, 30, 0, True), DecodeRules(None, 3), None),  # no partials
        (DecodeState(True, False, 5, 3, True), DecodeRules(None, 3), EARLY),
        (DecodeState(True, False, 99, 9, True), DecodeRules(30, None), PARTIAL),
        (DecodeState(True, False, 99, 9, True), DecodeRules(None, None), None),
    ],
)
def test_next_decode(state: DecodeState, rules: DecodeRules, decode: DecodeKind | None) -> None:
    assert next_decode(state, rules) is decode
