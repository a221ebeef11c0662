"""`voxnode demo`: the main job on the embedded defaults, printed stage by stage.

Installs the default service packages and pulls their models into the home when missing
(with progress), starts them, speaks a sample sentence in each direction with the TTS
services, runs each recording through ASR -> repair -> translation -> TTS, prints every
stage's text and time, and writes the audio into the output folder.
"""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import typer

from voxnode.api.node_state import NodeState
from voxnode.cli.local_node import local_node
from voxnode.cli.models_cli import pull_with_progress
from voxnode.cli.translate_cli import describe
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.job import JobRequest
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.speech import SynthesizedAudio, SynthesizeRequest
from voxnode.models.model_store_factory import open_model_store
from voxnode.packages.shipped_packages import shipped_package

CORE = ["llm-local", "asr-whisper", "en-normalize", "semantic-repair-zh", "nmt-llm", "tts-en"]
CHINESE_VOICE = "tts-zh"
"""Optional: its own 1.5 GB venv (tensorflow 2.15); without it only en -> zh runs."""
MODELS = [
    "whisper-base-ct2", "qwen2.5-coder-1.5b-instruct-q4_k_m", "libime-zh-lm",
    "pycorrector-zh-data",
]  # fmt: skip
SAMPLES = {
    "en": "Please send me the contract before Friday. The meeting starts at three o'clock.",
    "zh": "我们明天需要翻译这份合同，请在周五之前发给我。",
}


def run_demo(settings: NodeSettings, out_dir: Path, with_chinese_voice: bool) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    typer.echo(f"home {settings.home}; audio goes to {out_dir}")
    store = open_model_store(settings)
    for name in MODELS:
        started = time.monotonic()
        path = pull_with_progress(store, name)
        typer.echo(f"model  {name}: {path} ({time.monotonic() - started:.1f} s)")
    return asyncio.run(_run(settings, out_dir, with_chinese_voice))


async def _run(settings: NodeSettings, out_dir: Path, with_chinese_voice: bool) -> int:
    async with local_node(settings) as node:
        wanted = CORE + ([CHINESE_VOICE] if with_chinese_voice else [])
        await _install(node, wanted)
        ready = await _start(node, wanted)
        directions = [("en", "zh")] + ([("zh", "en")] if CHINESE_VOICE in ready else [])
        for src, tgt in directions:
            typer.echo(f"\n== {src} -> {tgt}: {SAMPLES[src]}")
            speech = await _speak(node, SAMPLES[src], src)
            (out_dir / f"sample-{src}.wav").write_bytes(speech)
            request = JobRequest(
                session_id=f"demo-{src}", src_lang=src, tgt_lang=tgt,
                audio=base64.b64encode(speech).decode(),
            )  # fmt: skip
            result = (await node.jobs.run(request)).model_dump(mode="json")
            typer.echo(describe(result))
            if result["audio"]:
                target = out_dir / f"translated-{src}-{tgt}.wav"
                target.write_bytes(base64.b64decode(result["audio"]))
                typer.echo(f"audio   {target} ({result['audio_duration_s']} s)")
    return 0


async def _install(node: NodeState, wanted: list[str]) -> None:
    installed = {spec.service_id for spec in node.host.supervisor.specs()}
    for service_id in wanted:
        if service_id in installed:
            continue
        typer.echo(f"install {service_id} ...")
        started = time.monotonic()
        try:
            await node.host.install(str(shipped_package(service_id)))
        except VoxnodeError as exc:
            typer.echo(f"install {service_id} failed: [{exc.code}] {exc.message}", err=True)
            continue
        typer.echo(f"install {service_id}: done ({time.monotonic() - started:.1f} s)")


async def _start(node: NodeState, wanted: list[str]) -> set[str]:
    ready: set[str] = set()
    for service_id in wanted:
        if not node.host.supervisor.has(service_id):
            continue
        started = time.monotonic()
        try:
            await node.host.supervisor.ensure_ready(service_id, timeout_s=900)
        except VoxnodeError as exc:
            typer.echo(f"start  {service_id}: {exc.message}", err=True)
            continue
        ready.add(service_id)
        typer.echo(f"start  {service_id}: ready ({time.monotonic() - started:.1f} s)")
    return ready


async def _speak(node: NodeState, text: str, lang: str) -> bytes:
    reply = await node.client.call(
        ServiceType.TTS, [lang], SynthesizeRequest(text=text, lang=lang), SynthesizedAudio,
        deadline=time.monotonic() + 120,
    )  # fmt: skip
    return reply.body.audio
