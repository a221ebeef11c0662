"""Whisper's window fitted to the utterance against its full 30 s window, in one run: error
rate against what was said, and decode time, on single sentences like the stream sends.

Speech: the conversational set (data/mt_talk_zh_en.jsonl, both sides) and the first
`--news` sentences of each side of the WMT19 dev set; Chinese spoken by tts-zh (through a
node home that has it, `--home`), English by hibari in this process. The audio is kept in
`--audio-dir`, so a second run synthesises nothing. Each utterance is decoded by every way,
the ways taking turns utterance by utterance; CER for Chinese, WER for English, over the
whole set (punctuation and case ignored; Whisper's digits count as errors against spelled
numbers alike for every way).

Usage: python bench/asr_context.py [--home DIR] [--news 40] [--models-dir DIR]
       [--out bench/results/asr_context.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from voxnode.cli.local_node import local_node
from voxnode.contracts.node_settings import ModelSettings, NodeSettings
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.speech import AudioFormat, SynthesizedAudio, SynthesizeRequest
from voxnode.contracts.text_distance import levenshtein
from voxnode.evaluation.repair_metrics import units
from voxnode.packages.shipped_packages import shipped_package
from voxnode.services.asr.engine import WhisperAsr
from voxnode.services.asr.settings import AsrSettings
from voxnode.services.common.audio_codec import Audio, decode, encode
from voxnode.services.tts.voices import HibariVoice
from voxnode.testing.test_models import models_cache_dir

REPO = Path(__file__).resolve().parents[1]
TALK = REPO / "data" / "mt_talk_zh_en.jsonl"
NEWS = REPO.parent / "shared" / "data" / "mt_wmt19_zh_en.jsonl"
RATE = 16000
WAYS = {
    "full 30 s window": {"fitted_window_max_s": 0},
    "fitted, at least 10 s (default)": {},
    "fitted, at least 15 s": {"fitted_window_min_s": 15.0},
    "fitted, at least 5 s": {"fitted_window_min_s": 5.0},
}


def sentences(news: int) -> list[tuple[str, str, str]]:
    """(id, language, text)"""
    rows = [json.loads(line) for line in TALK.read_text("utf-8").splitlines() if line]
    rows += [json.loads(line) for line in NEWS.read_text("utf-8").splitlines() if line][:news]
    return [(f"{row['id']}-{lang}", lang, row[lang]) for lang in ("zh", "en") for row in rows]


async def synthesise(
    wanted: list[tuple[str, str, str]], audio_dir: Path, home: Path | None, models: Path
) -> None:
    missing = [row for row in wanted if not (audio_dir / f"{row[0]}.wav").exists()]
    english = [row for row in missing if row[1] == "en"]
    if english:
        voice = HibariVoice(None, 2)
        for row_id, _, text in english:
            _write(audio_dir / f"{row_id}.wav", voice.speak(text, "en"))
    chinese = [row for row in missing if row[1] == "zh"]
    if not chinese:
        return
    settings = NodeSettings(
        **({"home": home} if home else {}), models=ModelSettings(dir=models), autostart=False
    )
    async with local_node(settings) as node:
        if "tts-zh" not in {spec.service_id for spec in node.host.supervisor.specs()}:
            await node.host.install(str(shipped_package("tts-zh")))
        await node.host.supervisor.ensure_ready("tts-zh", timeout_s=900)
        for row_id, _, text in chinese:
            spoken = await node.client.call(
                ServiceType.TTS, ["zh"], SynthesizeRequest(text=text, lang="zh"),
                SynthesizedAudio, deadline=time.monotonic() + 300,
            )  # fmt: skip
            audio = decode(spoken.body.audio, AudioFormat.WAV, RATE, max_seconds=120)
            _write(audio_dir / f"{row_id}.wav", audio)


def _write(path: Path, audio: Audio) -> None:
    path.write_bytes(encode(audio, AudioFormat.WAV, RATE)[0])


def _read(path: Path) -> Audio:
    return decode(path.read_bytes(), AudioFormat.WAV, RATE, max_seconds=120)


def main(args: argparse.Namespace) -> dict[str, Any]:
    wanted = sentences(args.news)
    args.audio_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(synthesise(wanted, args.audio_dir, args.home, args.models_dir))
    model_dir = args.models_dir / "whisper-base-ct2"
    engines = {name: WhisperAsr(model_dir, AsrSettings(**way)) for name, way in WAYS.items()}
    audio = {row_id: _read(args.audio_dir / f"{row_id}.wav") for row_id, _, _ in wanted}
    for engine in engines.values():  # warm-up
        engine.transcribe(audio[wanted[0][0]], wanted[0][1])
    tally: dict[str, dict[str, dict[str, Any]]] = {
        name: {lang: {"errors": 0, "units": 0, "ms": [], "wrong": 0} for lang in ("zh", "en")}
        for name in WAYS
    }  # fmt: skip
    texts: dict[str, dict[str, str]] = {name: {} for name in WAYS}
    for row_id, lang, said in wanted:
        for name, engine in engines.items():
            heard = engine.transcribe(audio[row_id], lang)
            ref, hyp = units(said, lang), units(heard.text, lang)
            cell = tally[name][lang]
            cell["errors"] += levenshtein(hyp, ref)
            cell["units"] += len(ref)
            cell["wrong"] += hyp != ref
            cell["ms"].append(heard.process_time_ms)
            texts[name][row_id] = heard.text
    report: dict[str, Any] = {"utterances": {lang: sum(r[1] == lang for r in wanted)
                                             for lang in ("zh", "en")}, "ways": {}}  # fmt: skip
    for name, by_lang in tally.items():
        report["ways"][name] = {
            lang: {
                ("cer" if lang == "zh" else "wer"): round(cell["errors"] / cell["units"], 4),
                "sentences_wrong": cell["wrong"],
                "decode_ms_p50": round(statistics.median(cell["ms"])),
                "decode_ms_p95": round(sorted(cell["ms"])[int(0.95 * (len(cell["ms"]) - 1))]),
            }
            for lang, cell in by_lang.items()
        }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({**report, "texts": texts}, ensure_ascii=False, indent=1))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, help="a node home with tts-zh (else it is installed)")
    parser.add_argument("--news", type=int, default=40)
    parser.add_argument("--models-dir", type=Path, default=models_cache_dir())
    parser.add_argument(
        "--audio-dir", type=Path, default=Path.home() / ".cache" / "voxnode" / "bench-audio"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "asr_context.json")
    print(json.dumps(main(parser.parse_args()), indent=2, ensure_ascii=False))
