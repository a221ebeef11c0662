"""What an N-best costs the ASR: Chinese sentences spoken by tts-zh, each heard by
asr-whisper twice, with and without `nbest`, the two requests taking turns; the service's
own process_time_ms of each, p50/p95, and their ratio (the same utterances, the same run).
The N-best is one more beam search over the encoder output the 1-best already computed.

Usage: python bench/asr_nbest_cost.py [--limit 40] [--nbest 5] [--home DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
from pathlib import Path
from typing import Any

from voxnode.cli.local_node import local_node
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.speech import (
    AudioFormat,
    SynthesizedAudio,
    SynthesizeRequest,
    TranscribeRequest,
    TranscribeResponse,
)
from voxnode.packages.shipped_packages import shipped_package
from zh_whisper_errors import DEFAULT_SET


async def measure(settings: NodeSettings, texts: list[str], nbest: int) -> dict[str, Any]:
    times: dict[int, list[float]] = {0: [], nbest: []}
    async with local_node(settings) as node:
        installed = {spec.service_id for spec in node.host.supervisor.specs()}
        for package in ("tts-zh", "asr-whisper"):
            if package not in installed:
                await node.host.install(str(shipped_package(package)))
            await node.host.supervisor.ensure_ready(package, timeout_s=900)
        for index, text in enumerate(texts):
            spoken = await node.client.call(
                ServiceType.TTS, ["zh"], SynthesizeRequest(text=text, lang="zh"),
                SynthesizedAudio, deadline=time.monotonic() + 300,
            )  # fmt: skip
            audio = base64.b64encode(spoken.body.audio).decode()
            for asked in (0, nbest) if index % 2 else (nbest, 0):
                heard = await node.client.call(
                    ServiceType.ASR, ["zh"],
                    TranscribeRequest(audio=audio, audio_format=AudioFormat.WAV,
                                      language="zh", nbest=asked),
                    TranscribeResponse, deadline=time.monotonic() + 300,
                )  # fmt: skip
                if index:  # the first utterance warms both up
                    times[asked].append(heard.body.process_time_ms)
    p50 = {k: statistics.median(v) for k, v in times.items()}
    return {
        "utterances": len(texts) - 1, "nbest": nbest,
        "asr_ms_p50": {"1-best": round(p50[0]), "with N-best": round(p50[nbest])},
        "asr_ms_p95": {"1-best": round(_p95(times[0])), "with N-best": round(_p95(times[nbest]))},
        "ratio_p50": round(p50[nbest] / p50[0], 2),
    }  # fmt: skip


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--nbest", type=int, default=5)
    parser.add_argument("--home", type=Path, help="A node home (default: the usual one)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DEFAULT_SET.read_text("utf-8").splitlines() if line]
    settings = NodeSettings(**({"home": args.home} if args.home else {}), autostart=False)
    texts = [row["ref"] for row in rows[: args.limit + 1]]
    print(json.dumps(asyncio.run(measure(settings, texts, args.nbest)), indent=2))
