"""Whisper through faster-whisper (CTranslate2): audio in, text and its confidence out."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
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
FRAMES_PER_S = 100
FULL_WINDOW_FRAMES = 3000
COMPRESSION_LIMIT = 2.4
LOGPROB_FLOOR = -1.0
NO_SPEECH_THRESHOLD = 0.6
"""faster-whisper's own thresholds: an answer that repeats itself (gzip ratio), one the
model is unsure of, and likely silence."""


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
        # the N-best wanted whatever the quality (Chinese repair): one beam search in the
        # fitted window gives the 1-best and the N-best
        every = nbest if nbest_below_quality >= 1.0 else 0
        window = self._fitted_window(samples, language, every)
        if window is not None:
            segments, detected, probability = window.segments, window.language, window.probability
        else:
            segments, detected, probability = self._full_decode(samples, language, deadline)
        if detected == "zh" and self._t2s is not None:  # Whisper writes traditional characters
            for segment_out in segments:
                segment_out.text = self._t2s.convert(segment_out.text)
        text = _join(segments, detected)
        quality = quality_score(segments)
        alternatives: list[Hypothesis] = []
        if nbest and text and quality < nbest_below_quality and audio.seconds <= NBEST_MAX_S:
            if window is not None and window.hypotheses:
                alternatives = self._distinct(window.hypotheses, detected)
            else:
                encoded = window.encoded if window is not None else self._encode(samples, full=True)
                alternatives = self._nbest(encoded, detected, nbest)
        return TranscribeResponse(
            text=text,
            language=detected,
            language_probability=round(probability, 4),
            segments=segments,
            duration=round(audio.seconds, 3),
            quality_score=quality,
            nbest=alternatives,
            process_time_ms=round((time.monotonic() - started) * 1000, 3),
        )

    def _full_decode(
        self, samples: np.ndarray, language: str | None, deadline: float | None
    ) -> tuple[list[Segment], str, float]:
        """faster-whisper's own transcribe: 30 s windows, its VAD, temperature fallback."""
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
        return segments, info.language, info.language_probability

    def _fitted_window(
        self, samples: np.ndarray, language: str | None, nbest: int = 0
    ) -> _Window | None:
        """One decode in a window as long as the utterance (plus `fitted_window_pad_s`)
        instead of Whisper's 30 s: the encoder's work shrinks with the window; with `nbest`,
        a beam of at least that many whose best is the answer. None (the
        full decode answers) when the utterance is longer than `fitted_window_max_s`, when
        a Chinese prompt is set, or when the answer looks degenerate (it repeats itself,
        the model is unsure of it, or it may be silence): the cases the full decode's
        fallbacks and VAD are for."""
        seconds = len(samples) / WHISPER_RATE
        limit = self.settings.fitted_window_max_s
        if not limit or seconds > limit or (language == "zh" and self.settings.zh_prompt):
            return None
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

        encoded = self._encode(samples, full=False)
        model = self._model
        detected, probability = (language or "en"), 1.0
        if self.multilingual and language is None:
            token, probability = model.model.detect_language(encoded)[0][0]
            detected = token[2:-2]
        tokenizer = Tokenizer(model.hf_tokenizer, self.multilingual, "transcribe", detected)
        result = model.model.generate(
            encoded, [model.get_prompt(tokenizer, [], without_timestamps=True)],
            beam_size=max(self.beam_size, nbest), num_hypotheses=max(nbest, 1), max_length=448,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, (-1,)),
        )[0]  # fmt: skip
        text = tokenizer.decode(result.sequences_ids[0]).strip()
        avg_logprob, no_speech = float(result.scores[0]), float(result.no_speech_prob)
        if (
            get_compression_ratio(text) > COMPRESSION_LIMIT or avg_logprob < LOGPROB_FLOOR
            or no_speech > NO_SPEECH_THRESHOLD or repeats_itself(text)
        ):  # fmt: skip
            return None
        segment = Segment(
            start=0.0, end=round(seconds, 3), text=text, avg_logprob=avg_logprob,
            no_speech_prob=no_speech,
        )  # fmt: skip
        hypotheses = [
            (tokenizer.decode(ids).strip(), float(score))
            for ids, score in zip(result.sequences_ids, result.scores, strict=True)
        ] if nbest else []  # fmt: skip
        return _Window(encoded, [segment] if text else [], detected, float(probability), hypotheses)

    def _encode(self, samples: np.ndarray, *, full: bool) -> Any:
        from faster_whisper.transcribe import pad_or_trim

        features = self._model.feature_extractor(samples)
        if full:
            return self._model.encode(pad_or_trim(features))
        frames = max(
            features.shape[-1] + round(self.settings.fitted_window_pad_s * FRAMES_PER_S),
            round(self.settings.fitted_window_min_s * FRAMES_PER_S),
        )
        return self._model.encode(pad_or_trim(features, min(frames, FULL_WINDOW_FRAMES)))

    def _nbest(self, encoded: Any, language: str, count: int) -> list[Hypothesis]:
        """Beam search over the whole utterance (one window), `count` hypotheses; the ones
        that differ only in case or punctuation are one."""
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        tokenizer = Tokenizer(
            model.hf_tokenizer, self.multilingual, task="transcribe",
            language=language if self.multilingual else "en",
        )  # fmt: skip
        prompt = model.get_prompt(tokenizer, [], without_timestamps=True)
        result = model.model.generate(
            encoded, [prompt], beam_size=max(count, 2), num_hypotheses=count,
            return_scores=True, max_length=448,
        )[0]  # fmt: skip
        return self._distinct(
            [(tokenizer.decode(ids).strip(), float(score))
             for ids, score in zip(result.sequences_ids, result.scores, strict=True)],
            language,
        )  # fmt: skip

    def _distinct(self, hypotheses: list[tuple[str, float]], language: str) -> list[Hypothesis]:
        """Text and score of each; the ones that differ only in case or punctuation are one."""
        seen: dict[str, Hypothesis] = {}
        for text, score in hypotheses:
            if language == "zh" and self._t2s is not None:
                text = self._t2s.convert(text)
            seen.setdefault(_words(text), Hypothesis(text=text, score=round(score, 4)))
        return list(seen.values())


@dataclass(frozen=True, slots=True)
class _Window:
    encoded: Any
    segments: list[Segment]
    language: str
    probability: float
    hypotheses: list[tuple[str, float]]
    """The beam's answers and scores, best first, when an N-best was asked (else none)."""


def repeats_itself(text: str, *, shortest: int = 3) -> bool:
    """The answer ends with a run said twice in a row, a third of it or more (at least
    `shortest` words, or characters in Chinese): Whisper's loop when the window ends
    soon after the speech ("...last year. The quality ... last year.")."""
    spaced = " " in text.strip()
    units = _words(text).split() if spaced else [c for c in text if c.isalnum()]
    for size in range(max(shortest, len(units) // 6), len(units) // 2 + 1):
        if units[-size:] == units[-2 * size : -size]:
            return True
    return False


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
