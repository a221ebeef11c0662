"""en-normalize speed: per-sentence latency and throughput against Whisper's
EnglishTextNormalizer on the same sentences, in the same run.

Sentences: the src side of the ITN and ASR dev sets (or --set FILE...). Whisper's normaliser
comes from `pip install --no-deps openai-whisper more-itertools regex` (`make bench` does it);
its module is loaded without importing torch.   Usage: python bench/normalize_throughput.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
import types
from pathlib import Path

from voxnode.services.normalize.engine import EnNormalizer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_SETS = ["en_itn_nemo.jsonl", "en_itn_nemo_cased.jsonl", "en_asr_wsj.jsonl"]


def whisper_normalizer():  # type: ignore[no-untyped-def]
    spec = importlib.util.find_spec("whisper")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs: pip install --no-deps openai-whisper more-itertools regex")
    package = types.ModuleType("whisper")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["whisper"] = package  # skip whisper/__init__.py, which imports torch
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def timed(function, sentences: list[str], rounds: int) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    per_sentence: list[float] = []
    started = time.perf_counter()
    for _ in range(rounds):
        for sentence in sentences:
            t0 = time.perf_counter()
            function(sentence)
            per_sentence.append(time.perf_counter() - t0)
    return time.perf_counter() - started, per_sentence


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", action="append", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    files = args.set or [DATA / name for name in DEFAULT_SETS]
    sentences = [json.loads(line)["src"] for f in files for line in f.read_text().splitlines()]
    ours = EnNormalizer()
    theirs = whisper_normalizer()
    for sentence in sentences[:50]:  # warm both (regex compilation, caches)
        ours.normalize(sentence)
        theirs(sentence)
    total_ours, lat_ours = timed(ours.normalize, sentences, args.rounds)
    total_theirs, lat_theirs = timed(theirs, sentences, args.rounds)
    n = len(sentences) * args.rounds

    def describe(total: float, lat: list[float]) -> dict[str, float]:
        ordered = sorted(lat)
        return {
            "sentences_per_s": round(n / total, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 4),
            "p99_ms": round(ordered[int(0.99 * len(ordered))] * 1000, 4),
        }

    result = {
        "sentences": len(sentences),
        "rounds": args.rounds,
        "en_normalize": describe(total_ours, lat_ours),
        "whisper_english_text_normalizer": describe(total_theirs, lat_theirs),
        "throughput_ratio": round(total_theirs / total_ours, 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
