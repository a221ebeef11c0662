"""Real Whisper errors on Chinese: sentences spoken by tts-zh, heard by asr-whisper (Whisper
base, as the node runs it), kept where what was heard differs from what was said.

Writes a repair dev set, `{id, src: what Whisper heard, ref: what was said}` per row (every
sentence, wrong or right, so that over-correction is measured on the right ones too), a row as
soon as it is heard (a second run resumes after the rows already there), which
`voxnode eval repair --set FILE --lang zh` scores. The sentences come from a JSON Lines
file with `ref` (default: the first 300 of the zh_clean_rmrb dev set).

With `--nbest N`, each row also keeps Whisper's N-best (`nbest`: its distinct hypotheses'
texts, likeliest first, and `nbest_scores`: their length-normalised log-probabilities), as
asr-whisper answers a request with `nbest` N; `voxnode eval repair` passes them to the
repairer in the request's meta, as the pipeline does.

Usage: python bench/zh_whisper_errors.py --out data/zh_whisper_tts.jsonl
       [--sentences FILE] [--limit 300] [--nbest N] [--models-dir DIR] [--home DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import time
from pathlib import Path

from voxnode.api.node_state import NodeState
from voxnode.cli.local_node import local_node
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import ModelSettings, NodeSettings
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.speech import (
    AudioFormat,
    SynthesizedAudio,
    SynthesizeRequest,
    TranscribeRequest,
    TranscribeResponse,
)
from voxnode.evaluation.repair_metrics import units
from voxnode.packages.shipped_packages import shipped_package

DEFAULT_SET = Path(__file__).resolve().parents[2] / "shared" / "data" / "zh_clean_rmrb.jsonl"


async def collect(
    settings: NodeSettings, sentences: list[dict[str, str]], out: Path, nbest: int = 0
) -> None:
    done = {json.loads(line)["id"] for line in _lines(out)}
    async with local_node(settings) as node:
        installed = {spec.service_id for spec in node.host.supervisor.specs()}
        for package in ("tts-zh", "asr-whisper"):
            if package not in installed:
                await node.host.install(str(shipped_package(package)))
            await node.host.supervisor.ensure_ready(package, timeout_s=900)
        for index, row in enumerate(sentences):
            row_id, text = f"whisper-tts-{row.get('id', index)}", row["ref"]
            if row_id in done:
                continue
            try:
                heard = await _hear(node, text, nbest)
            except VoxnodeError as exc:
                print(f"{index:4} skipped: {exc.message}", flush=True)
                continue
            found = {"id": row_id, "src": heard.text, "ref": text,
                     "quality_score": heard.quality_score}  # fmt: skip
            if nbest:
                found["nbest"] = [h.text for h in heard.nbest]
                found["nbest_scores"] = [h.score for h in heard.nbest]
            with out.open("a", encoding="utf-8") as sink:
                sink.write(json.dumps(found, ensure_ascii=False) + "\n")
            wrong = units(heard.text, "zh") != units(text, "zh")
            print(f"{index:4} {'WRONG' if wrong else 'ok   '} {heard.text}", flush=True)


async def _hear(node: NodeState, text: str, nbest: int) -> TranscribeResponse:
    spoken = await node.client.call(
        ServiceType.TTS, ["zh"], SynthesizeRequest(text=text, lang="zh"),
        SynthesizedAudio, deadline=time.monotonic() + 300,
    )  # fmt: skip
    heard = await node.client.call(
        ServiceType.ASR, ["zh"],
        TranscribeRequest(
            audio=base64.b64encode(spoken.body.audio).decode(),
            audio_format=AudioFormat.WAV, language="zh", nbest=nbest,
        ),
        TranscribeResponse, deadline=time.monotonic() + 300,
    )  # fmt: skip
    return heard.body


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text("utf-8").splitlines() if line] if path.exists() else []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sentences", type=Path, default=DEFAULT_SET)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--nbest", type=int, default=0, help="also keep Whisper's N-best")
    parser.add_argument("--models-dir", type=Path)
    parser.add_argument("--home", type=Path, help="A node home (default: the usual one)")
    args = parser.parse_args()
    lines = args.sentences.read_text(encoding="utf-8").splitlines()
    sentences = [json.loads(line) for line in lines if line][: args.limit]
    settings = NodeSettings(
        **({"home": args.home} if args.home else {}), models=ModelSettings(dir=args.models_dir),
        autostart=False,
    )  # fmt: skip
    asyncio.run(collect(settings, sentences, args.out, args.nbest))
    rows = [json.loads(line) for line in _lines(args.out)]
    wrong = sum(units(str(r["src"]), "zh") != units(str(r["ref"]), "zh") for r in rows)
    print(f"{len(rows)} sentences, {wrong} heard wrong; written to {args.out}")


if __name__ == "__main__":
    main()
