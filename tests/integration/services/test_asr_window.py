"""Whisper base (real model, marked `models`): the window fitted to a short utterance hears
the Chinese test recording as the 30 s window does, and silence goes to the full decode
(whose VAD finds nothing) instead of a guess."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxnode.contracts.speech import AudioFormat
from voxnode.contracts.text_distance import levenshtein
from voxnode.evaluation.repair_metrics import units
from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore
from voxnode.services.asr.engine import WhisperAsr
from voxnode.services.asr.settings import AsrSettings
from voxnode.services.common.audio_codec import Audio, decode
from voxnode.testing.test_models import models_cache_dir

pytestmark = pytest.mark.models
RECORDING = Path(__file__).resolve().parents[2] / "data" / "zh_contract_16k.wav"


@pytest.fixture(scope="module")
def whisper_dir() -> Path:
    ModelStore(models_cache_dir(), ModelCatalog.load()).pull("whisper-base-ct2")
    return models_cache_dir() / "whisper-base-ct2"


def recording() -> Audio:
    return decode(RECORDING.read_bytes(), AudioFormat.WAV, 16000, max_seconds=30)


def test_the_fitted_window_hears_what_the_full_one_hears(whisper_dir: Path) -> None:
    fitted = WhisperAsr(whisper_dir, AsrSettings()).transcribe(recording(), "zh")
    full = WhisperAsr(whisper_dir, AsrSettings(fitted_window_max_s=0)).transcribe(recording(), "zh")
    said = list("我们明天需要翻译这份合同请在周五之前发给我")
    # within a character of what was said and of each other (int8 kernels differ by CPU)
    assert levenshtein(units(fitted.text, "zh"), said) <= 1
    assert levenshtein(units(fitted.text, "zh"), units(full.text, "zh")) <= 1
    assert [(s.start, s.end) for s in fitted.segments] == [(0.0, fitted.duration)]  # one window
    assert fitted.quality_score > 0.5


def test_silence_is_no_guess(whisper_dir: Path) -> None:
    silence = Audio(np.zeros(16000 * 3, dtype=np.float32), 16000)
    heard = WhisperAsr(whisper_dir, AsrSettings()).transcribe(silence, "zh")
    assert heard.text == ""


def test_an_n_best_wanted_for_every_sentence_comes_from_the_answer_s_own_beam(
    whisper_dir: Path,
) -> None:
    asr = WhisperAsr(whisper_dir, AsrSettings())
    heard = asr.transcribe(recording(), "zh", nbest=5, nbest_below_quality=1.0)
    said = list("我们明天需要翻译这份合同请在周五之前发给我")
    assert levenshtein(units(heard.text, "zh"), said) <= 1
    assert heard.nbest and heard.nbest[0].text == heard.text  # the beam's best is the answer
    assert len({h.text for h in heard.nbest}) == len(heard.nbest) <= 5
    # asked only under a quality threshold, the 1-best is decoded first as without an N-best
    greedy = asr.transcribe(recording(), "zh")
    assert asr.transcribe(recording(), "zh", nbest=5, nbest_below_quality=0.99).text == greedy.text
