"""`voxnode live --src zh --tgt en [--wav FILE]`: speech in as it is spoken (the microphone
through sounddevice, or a WAV file played in real time), partial and final texts printed as
they come, the translated audio played piece by piece (or written with --out).

It talks to the home's running node over WS /v1/stream; without one it runs the node's
pipeline in this process (the installed services are started and stopped with it) and
drives the same stream session directly.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import typer

from voxnode.api.stream_routes import open_session
from voxnode.cli.cli_support import HomeOption, cli_errors, settings_for
from voxnode.cli.live_audio import (
    MIC_RATE,
    Speaker,
    has_sounddevice,
    microphone_chunks,
    read_wav,
    wav_chunks,
)
from voxnode.cli.local_node import local_node
from voxnode.cli.node_client import find_node
from voxnode.contracts.errors import BadInputError
from voxnode.contracts.stream_messages import StreamEnd, StreamReady, StreamStart

OnEvent = Callable[[dict[str, Any]], None]


@cli_errors
def live_command(
    src: str = typer.Option(..., help="Language spoken"),
    tgt: str = typer.Option(..., help="Language wanted"),
    wav: Path | None = typer.Option(None, help="Play this WAV file in real time (else: mic)"),
    out: Path | None = typer.Option(None, help="Write the translated speech here (WAV)"),
    speed: float = typer.Option(1.0, help="Play --wav this many times faster than real time"),
    no_play: bool = typer.Option(False, "--no-play", help="Do not play the translated speech"),
    session: str = typer.Option("live", help="Pipeline session (translation context)"),
    home: Path | None = HomeOption,
    as_json: bool = typer.Option(False, "--json", help="Print every event as a JSON line"),
) -> None:
    """Live speech translation: partial texts while you speak, translated speech after."""
    play = not no_play and has_sounddevice()
    if wav is None and not has_sounddevice():
        raise BadInputError("no microphone without `sounddevice`: give --wav FILE", code="NO_INPUT")
    if not play and out is None:
        out = Path(f"voxnode-live-{tgt}.wav")
    pcm, rate = read_wav(wav) if wav is not None else (b"", MIC_RATE)
    start = StreamStart(src_lang=src, tgt_lang=tgt, session_id=session, sample_rate=rate)
    speaker = Speaker(play=play, out=out)
    printer = Printer(speaker, as_json=as_json)
    with contextlib.suppress(KeyboardInterrupt):  # the microphone: Ctrl-C ends the stream
        asyncio.run(_live(settings_for(home).home, start, pcm if wav else None, speed, printer))
    written = speaker.close()
    if written is not None and not as_json:
        typer.echo(f"audio    {written}")


async def _live(
    home: Path, start: StreamStart, pcm: bytes | None, speed: float, on_event: OnEvent
) -> None:
    stop = asyncio.Event()
    if pcm is None:
        _first_ctrl_c_ends_the_input(stop)
    source = wav_chunks(pcm, start.sample_rate, speed) if pcm is not None else (
        microphone_chunks(stop)
    )  # fmt: skip
    node = find_node(home)
    if node is not None:
        url = node.url.replace("http", "ws", 1) + "/v1/stream"
        await _over_websocket(url, start, source, on_event)
        return
    async with local_node(settings_for(home)) as local:
        await _in_process(local, start, source, on_event)


def _first_ctrl_c_ends_the_input(stop: asyncio.Event) -> None:
    """The first Ctrl-C ends the microphone (the utterance being spoken is still translated
    and `done` awaited); a second one aborts."""
    loop = asyncio.get_running_loop()

    def first() -> None:
        stop.set()
        loop.remove_signal_handler(signal.SIGINT)

    with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no such handlers
        loop.add_signal_handler(signal.SIGINT, first)


async def _over_websocket(
    url: str, start: StreamStart, source: AsyncIterator[bytes], on_event: OnEvent
) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None) as socket:
        await socket.send(start.model_dump_json())

        async def send_audio() -> None:
            async for chunk in source:
                await socket.send(chunk)
            await socket.send(StreamEnd().model_dump_json())

        sender = asyncio.create_task(send_audio())
        try:
            async for message in socket:
                event = json.loads(message)
                on_event(event)
                if event["type"] == "done":
                    break
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)


async def _in_process(
    node: Any, start: StreamStart, source: AsyncIterator[bytes], on_event: OnEvent
) -> None:
    async def emit(event: Any) -> None:
        on_event(json.loads(event.model_dump_json()))

    session = open_session(node, start, emit)
    await emit(StreamReady(session_id=start.session_id, vad=session.vad_name))
    try:
        async for chunk in source:
            await session.feed(chunk)
        await session.end()
    finally:
        await session.close()


class Printer:
    """Each event as a line (partials rewrite one line on a terminal); audio to the speaker."""

    def __init__(self, speaker: Speaker, *, as_json: bool):
        self._speaker = speaker
        self._json = as_json
        self._tty = sys.stdout.isatty()
        self._partial = False

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "audio":
            self._speaker.add(base64.b64decode(event["audio"]), event.get("sample_rate") or 16000)
        if self._json:
            shown = {k: v for k, v in event.items() if k != "audio"}
            typer.echo(json.dumps(shown, ensure_ascii=False))
            return
        line = self._line(event)
        if line is None:
            return
        stamp = f"[{event.get('at_ms', 0) / 1000:6.2f}s]"
        if kind == "asr_partial" and self._tty:
            sys.stdout.write(f"\r\x1b[K{stamp} ... {line}")
            sys.stdout.flush()
            self._partial = True
            return
        if self._partial:
            sys.stdout.write("\n")
            self._partial = False
        typer.echo(f"{stamp} {line}")

    @staticmethod
    def _line(event: dict[str, Any]) -> str | None:
        kind = event["type"]
        if kind == "ready":
            return f"ready    session {event['session_id']}, VAD {event['vad']}"
        if kind == "vad":
            return f"vad      {event['event']} at {event['audio_ms'] / 1000:.2f}s of audio"
        if kind == "asr_partial":
            return f"partial  {event['committed']}[{event['tentative'].strip()}]"
        if kind == "asr_final":
            return f"asr      {event['text']}"
        if kind == "repair":
            return f"repair   {event['text']}  [{event['decision']}]"
        if kind == "translation":
            return f"nmt  #{event['index']}  {event['text']}"
        if kind == "translation_done":
            note = (
                f"  [low confidence: {', '.join(event['issues'])}]"
                if event["low_confidence"]
                else ""
            )
            return f"nmt      {event['text']}{note}"
        if kind == "audio":
            return f"audio #{event['index']} {event.get('duration_s') or 0:.2f}s  {event['text']}"
        if kind == "result":
            result = event["result"]
            return f"done     utterance {result['utterance_index']}: {result['status']}"
        if kind == "error":
            return f"error    [{event['code']}] {event['message']}"
        if kind == "done":
            return f"end      {event['utterances']} utterances"
        return None
