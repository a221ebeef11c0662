"""`voxnode translate IN --src zh --tgt en --out OUT.wav [--json]`: one recording through
the whole pipeline, on the running node when there is one, else on services it starts."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import typer

from voxnode.cli.cli_support import settings_for
from voxnode.cli.local_node import local_node
from voxnode.cli.node_client import find_node
from voxnode.contracts.errors import BadInputError
from voxnode.contracts.job import JobRequest
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.speech import AudioFormat

SUFFIX_FORMATS = {
    ".wav": AudioFormat.WAV, ".opus": AudioFormat.OPUS, ".ogg": AudioFormat.OPUS,
    ".ul": AudioFormat.MULAW, ".mulaw": AudioFormat.MULAW, ".pcm": AudioFormat.PCM16,
    ".raw": AudioFormat.PCM16,
}  # fmt: skip


def audio_format_of(path: Path) -> AudioFormat:
    fmt = SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInputError(
            f"{path.name}: unknown audio type (use {', '.join(sorted(SUFFIX_FORMATS))})",
            code="UNKNOWN_AUDIO_TYPE",
        )
    return fmt


def job_for(audio: Path, src: str, tgt: str, out: Path | None, sample_rate: int) -> JobRequest:
    try:
        data = audio.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read {audio}: {exc.strerror}", code="NO_INPUT") from exc
    return JobRequest(
        session_id="cli", src_lang=src, tgt_lang=tgt,
        audio=base64.b64encode(data).decode(), audio_format=audio_format_of(audio),
        sample_rate=sample_rate, want_audio=out is not None,
        output_format=audio_format_of(out) if out else AudioFormat.WAV,
    )  # fmt: skip


def run_job(settings: NodeSettings, request: JobRequest) -> dict[str, Any]:
    node = find_node(settings.home)
    if node is not None:
        answer: dict[str, Any] = node.request("POST", "/v1/jobs", request.model_dump(mode="json"))
        return answer

    async def local() -> dict[str, Any]:
        async with local_node(settings) as local:
            return (await local.jobs.run(request)).model_dump(mode="json")

    return asyncio.run(local())


def translate_command(
    audio: Path, src: str, tgt: str, out: Path | None, sample_rate: int, home: Path | None,
    as_json: bool,
) -> None:  # fmt: skip
    result = run_job(settings_for(home), job_for(audio, src, tgt, out, sample_rate))
    if out is not None and result.get("audio"):
        out.write_bytes(base64.b64decode(result["audio"]))
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        typer.echo(describe(result))
        if out is not None and result.get("audio"):
            typer.echo(f"audio   {out} ({result.get('audio_duration_s')} s)")
    if result["status"] == "failed":
        raise typer.Exit(1)


def describe(result: dict[str, Any]) -> str:
    t, decision = result["timings"], result["repair_decision"]
    lines = [
        f"asr     {result['text_asr']}  [{result['src_lang']}, {t['asr_ms']:.0f} ms]",
        f"repair  {result['text_repaired']}  [{decision}, {t['repair_ms']:.0f} ms]",
        f"nmt     {result['text_translated']}  [{result['tgt_lang']}, {t['nmt_ms']:.0f} ms]",
        f"tts     {t['tts_ms']:.0f} ms; total {t['total_ms']:.0f} ms; status {result['status']}",
    ]
    lines += [f"degraded {d['stage']}: {d['code']} {d['message']}" for d in result["degraded"]]
    return "\n".join(lines)
