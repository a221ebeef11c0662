"""The voices a TTS service can speak with: text in, float32 mono samples out."""

from __future__ import annotations

import shutil
import subprocess
from typing import Protocol

import numpy as np

from voxnode.contracts.errors import BadInputError, VoxnodeError
from voxnode.contracts.speech import AudioFormat
from voxnode.services.common.audio_codec import Audio, decode


class Voice(Protocol):
    name: str
    languages: set[str]

    def speak(self, text: str, lang: str) -> Audio: ...


class HibariVoice:
    """hibari-tts (Apache-2.0): a 7.9 MB Kokoro distillation, 24 kHz, English only."""

    def __init__(self, voice: str | None, threads: int):
        from hibari import Hibari

        self.languages = {"en"}
        self._tts = Hibari(voice=voice or "heart", threads=threads)
        self.name = f"hibari:{self._tts.voice}"
        self.sample_rate = int(self._tts.sample_rate)

    def speak(self, text: str, lang: str) -> Audio:
        samples = self._tts(text, seed=0)  # seeded: the same text gives the same audio
        return Audio(np.asarray(samples, dtype=np.float32), self.sample_rate)


ESPEAK_VOICES = {"en": "en-us", "zh": "cmn-latn-pinyin", "de": "de", "fr": "fr", "es": "es"}
"""Mandarin: `cmn` reads hanzi as English-spelled pinyin; `cmn-latn-pinyin` sounds right."""


class EspeakVoice:
    """The espeak-ng program (GPL-3, run as a separate program): robotic, every language."""

    def __init__(self, voice: str | None):
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise VoxnodeError("espeak-ng is not installed (apt install espeak-ng)")
        self._binary = binary
        self._voice = voice
        self.name = f"espeak-ng:{voice or 'by-language'}"
        self.languages = set(ESPEAK_VOICES)

    def speak(self, text: str, lang: str) -> Audio:
        voice = self._voice or ESPEAK_VOICES.get(lang)
        if voice is None:
            raise BadInputError(f"no espeak-ng voice for '{lang}'", code="UNSUPPORTED_LANGUAGE")
        done = subprocess.run(
            [self._binary, "-v", voice, "--stdout", "-b", "1", text],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not done.stdout:
            raise VoxnodeError(f"espeak-ng failed: {done.stderr.decode(errors='replace')[-300:]}")
        return decode(done.stdout, AudioFormat.WAV, 22050, max_seconds=600)
