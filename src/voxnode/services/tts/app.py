"""python -m voxnode.services.tts: POST /v1/synthesize (contract 2): audio bytes out, in
WAV, PCM16, mu-law (8 kHz for RTP) or Opus; the rate and length ride in headers."""

from __future__ import annotations

import functools
import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.languages import language_code
from voxnode.contracts.speech import (
    DURATION_HEADER,
    PROCESS_TIME_HEADER,
    SAMPLE_RATE_HEADER,
    AudioFormat,
    SynthesizeRequest,
)
from voxnode.services.common.audio_codec import encode
from voxnode.services.common.model_app import ModelApp
from voxnode.services.tts.settings import TtsSettings
from voxnode.services.tts.voices import EspeakVoice, HibariVoice, Voice

MEDIA_TYPES = {
    AudioFormat.WAV: "audio/wav",
    AudioFormat.PCM16: "audio/L16",
    AudioFormat.MULAW: "audio/basic",
    AudioFormat.OPUS: "audio/ogg",
}


class TtsWorker:
    def __init__(self, settings: TtsSettings):
        self.settings = settings
        self.voice: Voice | None = None
        self.name = f"tts-{settings.engine}"

    def load(self) -> None:
        s = self.settings
        self.voice = (
            HibariVoice(s.voice, s.threads) if s.engine == "hibari" else EspeakVoice(s.voice)
        )

    def warm_up(self) -> None:
        assert self.voice is not None
        lang = "en" if "en" in self.voice.languages else sorted(self.voice.languages)[0]
        self.synthesize(SynthesizeRequest(text="Ready.", lang=lang))

    def synthesize(self, request: SynthesizeRequest) -> tuple[bytes, int, float]:
        """(audio bytes, their sample rate, seconds)."""
        assert self.voice is not None
        lang = language_code(request.lang)
        if lang not in self.voice.languages:
            raise BadInputError(
                f"{self.voice.name} speaks {sorted(self.voice.languages)}, not '{request.lang}'",
                code="UNSUPPORTED_LANGUAGE",
            )
        audio = self.voice.speak(request.text, lang)
        data, rate = encode(audio, request.format, request.sample_rate)
        return data, rate, audio.seconds

    def info(self) -> dict[str, Any]:
        voice = self.voice
        return {"voice": voice.name, "languages": sorted(voice.languages)} if voice else {}


def build_app(settings: TtsSettings | None = None) -> FastAPI:
    settings = settings or TtsSettings()
    worker = TtsWorker(settings)
    model = ModelApp(worker, max_concurrency=settings.max_concurrency)

    @model.app.post("/v1/synthesize")
    async def synthesize(request: SynthesizeRequest) -> Response:
        started = time.monotonic()
        deadline = started + (request.deadline_ms or settings.deadline_ms) / 1000
        call = functools.partial(worker.synthesize, request)
        data, rate, seconds = await model.run(call, deadline=deadline)
        headers = {
            SAMPLE_RATE_HEADER: str(rate),
            DURATION_HEADER: f"{seconds:.3f}",
            PROCESS_TIME_HEADER: f"{(time.monotonic() - started) * 1000:.3f}",
        }
        return Response(data, media_type=MEDIA_TYPES[request.format], headers=headers)

    return model.app
