"""Endpointing: per-frame speech probabilities in, utterance starts and ends out.

An utterance starts once `min_speech` frames in a row are speech (it is dated from the
first of them) and ends once `min_silence` frames in a row are not (it is dated at its last
voiced frame), or when it reaches `max_frames` (the speaker goes on: the next one starts
when speech is heard again), or at the end of the input. Inside an utterance a frame stays
speech down to `threshold - HYSTERESIS` (Silero's own rule), so a soft syllable does not
end it. A pure state machine over frame numbers: the stream session maps frames to audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HYSTERESIS = 0.15
EndReason = Literal["silence", "max_length", "end_of_input"]


@dataclass(frozen=True, slots=True)
class EndpointRules:
    threshold: float
    min_speech: int
    """Frames of speech in a row that start an utterance."""
    min_silence: int
    """Frames of silence in a row that end it."""
    max_frames: int


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    frame: int
    """The first voiced frame."""


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    frame: int
    """The last voiced frame."""
    reason: EndReason


Endpoint = SpeechStarted | SpeechEnded


class Endpointer:
    def __init__(self, rules: EndpointRules):
        self._rules = rules
        self.frames = 0
        """Frames seen so far (the next one's number)."""
        self.start: int | None = None
        """The current utterance's first voiced frame; None between utterances."""
        self.last_voiced = -1
        self._run = 0
        """Voiced frames in a row (between utterances) or silent ones (inside one)."""

    @property
    def in_speech(self) -> bool:
        return self.start is not None

    @property
    def silent_frames(self) -> int:
        """Frames of silence since the current utterance's last voiced frame."""
        return self._run if self.in_speech else 0

    def push(self, probability: float) -> list[Endpoint]:
        frame, rules = self.frames, self._rules
        self.frames += 1
        if self.start is None:
            self._run = self._run + 1 if probability >= rules.threshold else 0
            if self._run < max(rules.min_speech, 1):
                return []
            self.start = frame - self._run + 1
            self.last_voiced, self._run = frame, 0
            return [SpeechStarted(self.start)]
        if probability >= rules.threshold - HYSTERESIS:
            self.last_voiced, self._run = frame, 0
        else:
            self._run += 1
        if self._run >= rules.min_silence:
            return [self._end("silence")]
        if frame - self.start + 1 >= rules.max_frames:
            return [self._end("max_length")]
        return []

    def finish(self) -> list[Endpoint]:
        """The end of the input: an utterance in progress ends at its last voiced frame."""
        return [self._end("end_of_input")] if self.start is not None else []

    def _end(self, reason: EndReason) -> SpeechEnded:
        ended = SpeechEnded(self.last_voiced, reason)
        self.start, self._run = None, 0
        return ended
