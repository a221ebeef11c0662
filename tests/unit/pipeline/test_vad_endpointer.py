"""Endpointing over per-frame speech probabilities (table-driven)."""

from __future__ import annotations

import pytest

from voxnode.pipeline.vad_endpointer import (
    Endpointer,
    EndpointRules,
    SpeechEnded,
    SpeechStarted,
)

RULES = EndpointRules(threshold=0.5, min_speech=3, min_silence=4, max_frames=20)


def frames(pattern: str) -> list[float]:
    """'#': speech (0.9), '+': soft speech (0.4, speech only inside an utterance), '.': 0.1."""
    return [{"#": 0.9, "+": 0.4, ".": 0.1}[c] for c in pattern]


@pytest.mark.parametrize(
    ("pattern", "events"),
    [
        ("....", []),
        ("##..##..", []),  # blips shorter than min_speech start nothing
        ("..###.....", [SpeechStarted(2), SpeechEnded(4, "silence")]),
        ("..#####...", [SpeechStarted(2)]),  # 3 silent frames: not yet the end
        ("###+++###....", [SpeechStarted(0), SpeechEnded(8, "silence")]),  # soft frames stay in
        ("+++###....", [SpeechStarted(3), SpeechEnded(5, "silence")]),  # soft frames start nothing
        ("###...###....", [SpeechStarted(0), SpeechEnded(8, "silence")]),  # a short pause stays in
        ("###....###....", [SpeechStarted(0), SpeechEnded(2, "silence"), SpeechStarted(7),
                            SpeechEnded(9, "silence")]),
        ("#" * 25, [SpeechStarted(0), SpeechEnded(19, "max_length"), SpeechStarted(20)]),
    ],
)  # fmt: skip
def test_endpoints(pattern: str, events: list[object]) -> None:
    endpointer = Endpointer(RULES)
    assert [e for p in frames(pattern) for e in endpointer.push(p)] == events


def test_the_end_of_input_ends_an_utterance_at_its_last_voiced_frame() -> None:
    endpointer = Endpointer(RULES)
    for probability in frames("..####.."):
        endpointer.push(probability)
    assert endpointer.in_speech and endpointer.silent_frames == 2
    assert endpointer.finish() == [SpeechEnded(5, "end_of_input")]
    assert endpointer.finish() == [] and not endpointer.in_speech
