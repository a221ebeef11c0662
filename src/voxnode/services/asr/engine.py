"""Whisper through faster-whisper (CTranslate2): audio in, text and its confidence out."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.languages import language_code
from voxnode.contracts.speech import Hypothesis, Segment, TranscribeResponse
from voxnode.services.asr.settings import AsrSettings
from voxnode.services.common.audio_codec import Audio, resample
from voxnode.services.common.deadline import DeadlineExceeded

WHISPER_RATE = 16000
NBEST_MAX_S = 30.0
"""Whisper's window: an N-best is one decode over the whole utterance."""


def pick_device(wanted: str) -> str:
    if wanted != "auto":
        return wanted
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def pick_compute_type(wanted: str, device: str) -> str:
    if wanted != "auto":
        return wanted
    return "float16" if device == "cuda" else "int8"


class WhisperAsr:
    def __init__(self, model_dir: Path, settings: AsrSettings):
        from faster_whisper import WhisperModel

        self.settings = settings
        self.device = pick_device(settings.device)
        self.compute_type = pick_compute_type(settings.compute_type, self.device)
        self.beam_size = settings.beam_size or (5 if self.device == "cuda" else 1)
        self.model_dir = model_dir
        self._model = WhisperModel(
            str(model_dir), device=self.device, compute_type=self.compute_type,
            cpu_threads=settings.cpu_threads,
        )  # fmt: skip
        self.multilingual = bool(self._model.model.is_multilingual)
        self.languages = set(self._model.supported_languages) if self.multilingual else {"en"}
        self._t2s: Any = None
        if self.multilingual:
            import opencc

            self._t2s = opencc.OpenCC("t2s")

    def transcribe(
        self, audio: Audio, language: str | None, *, deadline: float | None = None,
        nbest: int = 0, nbest_below_quality: float = 1.0,
    ) -> TranscribeResponse:  # fmt: skip
        started = time.monotonic()
        language = _check_language(language, self.languages)
        samples = resample(audio, WHISPER_RATE).samples
        segments_iter, info = self._model.transcribe(
            samples,
            language=language if self.multilingual else "en",
            beam_size=self.beam_size,
            vad_filter=self.settings.vad,
            initial_prompt=self.settings.zh_prompt if language == "zh" else None,
            condition_on_previous_text=False,
        )
        segments: list[Segment] = []
        for segment in segments_iter:  # consumed here, in this thread (lingua lesson 6)
            if deadline is not None and time.monotonic() > deadline:
                raise DeadlineExceeded()
            segments.append(
                Segment(
                    start=round(segment.start, 3),
                    end=round(segment.end, 3),
                    text=segment.text.strip(),
                    avg_logprob=segment.avg_logprob,
                    no_speech_prob=segment.no_speech_prob,
                )
            )
        detected = info.language
        if detected == "zh" and self._t2s is not None:  # Whisper writes traditional characters
            for segment_out in segments:
                segment_out.text = self._t2s.convert(segment_out.text)
        text = _join(segments, detected)
        quality = quality_score(segments)
        alternatives: list[Hypothesis] = []
        if nbest and text and quality < nbest_below_quality and audio.seconds <= NBEST_MAX_S:
            alternatives = self._nbest(samples, detected, nbest)
        return TranscribeResponse(
            text=text,
            language=detected,
            language_probability=round(info.language_probability, 4),
            segments=segments,
            duration=round(audio.seconds, 3),
            quality_score=quality,
            nbest=alternatives,
            process_time_ms=round((time.monotonic() - started) * 1000, 3),
        )

    def _nbest(self, samples: np.ndarray, language: str, count: int) -> list[Hypothesis]:
        """Beam search over the whole utterance (one 30 s window), `count` hypotheses; the
        ones that differ only in case or punctuation are one."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import pad_or_trim

        model = self._model
        encoded = model.encode(pad_or_trim(model.feature_extractor(samples)))
        tokenizer = Tokenizer(
            model.hf_tokenizer, self.multilingual, task="transcribe",
            language=language if self.multilingual else "en",
        )  # fmt: skip
        prompt = model.get_prompt(tokenizer, [], without_timestamps=True)
        result = model.model.generate(
            encoded, [prompt], beam_size=max(count, 2), num_hypotheses=count,
            return_scores=True, max_length=448,
        )[0]  # fmt: skip
        seen: dict[str, Hypothesis] = {}
        for ids, score in zip(result.sequences_ids, result.scores, strict=True):
            text = tokenizer.decode(ids).strip()
            if language == "zh" and self._t2s is not None:
                text = self._t2s.convert(text)
            seen.setdefault(_words(text), Hypothesis(text=text, score=round(float(score), 4)))
        return list(seen.values())


def quality_score(segments: list[Segment]) -> float:
    """exp of the duration-weighted mean log-probability, scaled down by no-speech odds."""
    if not segments:
        return 0.0
    weights = [max(s.end - s.start, 0.01) for s in segments]
    logprob = sum(w * s.avg_logprob for w, s in zip(weights, segments, strict=True)) / sum(weights)
    speech = 1.0 - max(s.no_speech_prob for s in segments)
    return round(min(1.0, math.exp(logprob)) * max(speech, 0.0), 4)


def _check_language(language: str | None, known: set[str]) -> str | None:
    if language is None or language.lower() in ("", "auto"):
        return None
    code = language_code(language)
    if code not in known:
        raise BadInputError(
            f"this ASR does not know language '{language}'", code="UNSUPPORTED_LANGUAGE"
        )
    return code


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def _join(segments: list[Segment], language: str) -> str:
    glue = "" if language in ("zh", "ja", "yue") else " "
    return glue.join(s.text for s in segments if s.text).strip()
