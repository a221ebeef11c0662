"""Partial transcripts of a recording given whole (a scheduler's job with
enable_streaming_asr): growing prefixes of it are decoded, one every `interval_ms` of audio,
and told through LocalAgreement as they come; the last decode hears all of it and becomes
the job's transcript, so the job makes no second decode of it.

Each prefix costs one decode before the final one (Whisper encodes a 30 s window whatever
the audio's length), so the partials are capped at `max_partials`, and a recording shorter
than two intervals gets none. PCM16 and WAV only (the node reads them without codecs).
"""

from __future__ import annotations

import base64
import binascii
import io
import time
import wave
from collections.abc import Awaitable, Callable

from voxnode.contracts.job import JobRequest
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.speech import AudioFormat, TranscribeRequest, TranscribeResponse
from voxnode.pipeline.local_agreement import AgreementView, LocalAgreement
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.service_replies import Reply, ServiceCallError

MAX_PARTIALS = 3
Tell = Callable[[AgreementView], Awaitable[None]]


def prefix_ends(samples: int, rate: int, interval_ms: int, max_partials: int) -> list[int]:
    """Where the prefixes end (in samples), the whole recording last; [] when it is too
    short for a partial."""
    step = max(1, rate * interval_ms // 1000)
    ends = list(range(step, samples - step + 1, step))[:max_partials]
    return [*ends, samples] if ends else []


def pcm_of(request: JobRequest) -> tuple[bytes, int] | None:
    if request.audio is None:
        return None
    try:
        data = base64.b64decode(request.audio, validate=True)
    except (binascii.Error, ValueError):
        return None
    if request.audio_format is AudioFormat.PCM16:
        return data, request.sample_rate
    if request.audio_format is AudioFormat.WAV:
        try:
            with wave.open(io.BytesIO(data)) as wav:
                if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                    return None
                return wav.readframes(wav.getnframes()), wav.getframerate()
        except (wave.Error, EOFError):
            return None
    return None


async def prefix_partials(
    client: ServiceClient, request: JobRequest, tell: Tell, *, interval_ms: int,
    timeout_ms: int, max_partials: int = MAX_PARTIALS,
) -> Reply[TranscribeResponse] | None:  # fmt: skip
    """Tells the partials; the decode of the whole recording (None: there was none)."""
    audio = pcm_of(request)
    if audio is None or request.src_lang == "auto":
        return None
    pcm, rate = audio
    agreement, whole = LocalAgreement(), None
    ends = prefix_ends(len(pcm) // 2, rate, interval_ms, max_partials)
    for number, end in enumerate(ends):
        asked = TranscribeRequest(
            audio=base64.b64encode(pcm[: end * 2]).decode(), audio_format=AudioFormat.PCM16,
            sample_rate=rate, language=request.src_lang,
        )  # fmt: skip
        try:
            reply = await client.call(
                ServiceType.ASR, [request.src_lang], asked, TranscribeResponse,
                deadline=time.monotonic() + timeout_ms / 1000,
            )  # fmt: skip
        except ServiceCallError:
            return None  # the job's own ASR decides
        if number < len(ends) - 1:
            await tell(agreement.update(reply.body.text))
        else:
            whole = reply
    return whole
