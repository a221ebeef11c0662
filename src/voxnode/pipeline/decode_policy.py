"""When a stream asks the ASR for a decode of the utterance so far (a pure decision).

- PARTIAL: the speaker is talking, `interval` frames have passed since the last decode
  began, and there is new speech since: a hypothesis for asr_partial.
- EARLY_FINAL: `early_final` frames of silence after speech the last decode did not hear:
  the decode that, if the speaker stays silent until the endpoint, is the final transcript
  (so the endpoint does not wait for one). Speech resuming makes it one more partial.
One decode at a time per stream: an ASR on two CPU cores gains nothing from two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DecodeKind(StrEnum):
    PARTIAL = "partial"
    EARLY_FINAL = "early_final"


@dataclass(frozen=True, slots=True)
class DecodeRules:
    interval: int | None
    """Frames between partial decodes; None: no partials."""
    early_final: int | None
    """Frames of silence that start the early final; None: none."""


@dataclass(frozen=True, slots=True)
class DecodeState:
    in_speech: bool
    in_flight: bool
    frames_since_decode: int
    """Since the last decode of this utterance began (or since it started)."""
    silent_frames: int
    """Since its last voiced frame."""
    unheard_speech: bool
    """Voiced frames the last decode did not hear."""


def next_decode(state: DecodeState, rules: DecodeRules) -> DecodeKind | None:
    if not state.in_speech or state.in_flight or not state.unheard_speech:
        return None
    if rules.early_final is not None and state.silent_frames >= rules.early_final:
        return DecodeKind.EARLY_FINAL
    if rules.interval is not None and state.frames_since_decode >= rules.interval:
        return DecodeKind.PARTIAL
    return None
