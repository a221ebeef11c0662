"""faster-whisper's options for the streaming ASR, measured on this CPU: beam size, compute
type (int8 / float32) and its own VAD pass (the stream's segments are already cut by the
node's VAD), on single-sentence utterances like the stream sends: the Chinese test
recording and English sentences spoken by hibari (tts-en's voice). Each option set decodes
every utterance `--runs` times, the sets taking turns; the median decode time per utterance
and whether the text is the same as the current defaults' (int8, beam 1, VAD on).

Usage: python bench/asr_options.py [--runs 3] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

from voxnode.services.common.audio_codec import Audio, resample
from voxnode.services.tts.voices import HibariVoice
from voxnode.testing.test_models import models_cache_dir

REPO = Path(__file__).resolve().parents[1]
ZH_SPEECH = REPO / "tests" / "data" / "zh_contract_16k.wav"
EN = [
    "Please send me the contract before Friday.",
    "The meeting starts at three o'clock in the large conference room.",
    "If it rains tomorrow, we will move the event to next Saturday.",
]
OPTIONS = [
    {"compute_type": "int8", "beam_size": 1, "vad_filter": True},  # the defaults
    {"compute_type": "int8", "beam_size": 1, "vad_filter": False},
    {"compute_type": "int8", "beam_size": 5, "vad_filter": False},
    {"compute_type": "float32", "beam_size": 1, "vad_filter": False},
]


def utterances() -> list[tuple[str, np.ndarray]]:
    with wave.open(str(ZH_SPEECH)) as recording:
        pcm = recording.readframes(recording.getnframes())
    out = [("zh", np.frombuffer(pcm, "<i2").astype(np.float32) / 32768)]
    voice = HibariVoice(None, 2)
    for text in EN:
        spoken = voice.speak(text, "en")
        out.append(("en", resample(Audio(spoken.samples, spoken.sample_rate), 16000).samples))
    return out


def main(args: argparse.Namespace) -> dict[str, Any]:
    from faster_whisper import WhisperModel

    model_dir = str(args.models_dir / "whisper-base-ct2")
    models = {kind: WhisperModel(model_dir, device="cpu", compute_type=kind, cpu_threads=2)
              for kind in ("int8", "float32")}  # fmt: skip
    audio = utterances()
    times: dict[int, list[list[float]]] = {i: [[] for _ in audio] for i in range(len(OPTIONS))}
    texts: dict[int, list[str]] = {i: ["" for _ in audio] for i in range(len(OPTIONS))}
    for run, (index, option) in itertools.product(range(args.runs + 1), enumerate(OPTIONS)):
        model = models[option["compute_type"]]
        for number, (lang, samples) in enumerate(audio):
            started = time.perf_counter()
            segments, _ = model.transcribe(
                samples, language=lang, beam_size=option["beam_size"],
                vad_filter=option["vad_filter"], condition_on_previous_text=False,
            )  # fmt: skip
            text = "".join(s.text for s in segments).strip()
            if run:  # the first round warms up
                times[index][number].append(time.perf_counter() - started)
            texts[index][number] = text
    report = []
    for index, option in enumerate(OPTIONS):
        medians = [statistics.median(t) for t in times[index]]
        report.append({
            **option, "median_ms_per_utterance": [round(m * 1000) for m in medians],
            "total_median_ms": round(sum(medians) * 1000),
            "same_text_as_defaults": sum(a == b for a, b in zip(texts[index], texts[0],
                                                                 strict=True)),
            "texts": texts[index],
        })  # fmt: skip
    return {"utterances": len(audio), "runs": args.runs, "options": report}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models-dir", type=Path, default=models_cache_dir())
    print(json.dumps(main(parser.parse_args()), indent=2, ensure_ascii=False))
