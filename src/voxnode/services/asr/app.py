"""python -m voxnode.services.asr: POST /v1/transcribe on faster-whisper (contract 2)."""

from __future__ import annotations

import base64
import binascii
import functools
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.languages import language_code
from voxnode.contracts.speech import TranscribeRequest, TranscribeResponse
from voxnode.models.model_store import ModelStore
from voxnode.models.model_store_factory import service_model_store
from voxnode.services.asr.engine import WHISPER_RATE, WhisperAsr
from voxnode.services.asr.settings import AsrSettings
from voxnode.services.common.audio_codec import Audio, BadAudioError, decode
from voxnode.services.common.model_app import ModelApp


class AsrWorker:
    name = "asr-whisper"

    def __init__(self, settings: AsrSettings, *, store: ModelStore):
        self.settings = settings
        self._store = store
        self.engine: WhisperAsr | None = None

    def load(self) -> None:
        model_dir = self.settings.model_dir or self._store.pull(self.settings.model)
        self.engine = WhisperAsr(Path(model_dir), self.settings)

    def warm_up(self) -> None:
        """One second of a quiet tone: it goes through VAD and the decoder like speech does."""
        assert self.engine is not None
        t = np.arange(WHISPER_RATE, dtype=np.float32) / WHISPER_RATE
        tone = (0.05 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        self.engine.transcribe(Audio(tone, WHISPER_RATE), "en")

    def transcribe(self, request: TranscribeRequest, deadline: float) -> TranscribeResponse:
        assert self.engine is not None
        accepted = self.settings.language_set()
        if request.language and accepted and language_code(request.language) not in accepted:
            raise BadInputError(
                f"{self.name} here serves {sorted(accepted)}, not '{request.language}'",
                code="UNSUPPORTED_LANGUAGE",
            )
        try:
            data = base64.b64decode(request.audio, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadAudioError("audio must be base64") from exc
        audio = decode(
            data, request.audio_format, request.sample_rate, max_seconds=self.settings.max_seconds
        )
        return self.engine.transcribe(
            audio, request.language, deadline=deadline, nbest=request.nbest,
            nbest_below_quality=request.nbest_below_quality,
        )  # fmt: skip

    def info(self) -> dict[str, Any]:
        engine = self.engine
        if engine is None:
            return {}
        return {
            "model": str(engine.model_dir), "device": engine.device,
            "compute_type": engine.compute_type, "beam_size": engine.beam_size,
            "multilingual": engine.multilingual, "vad": self.settings.vad,
        }  # fmt: skip


def build_app(settings: AsrSettings | None = None, *, store: ModelStore | None = None) -> FastAPI:
    settings = settings or AsrSettings()
    worker = AsrWorker(settings, store=store or service_model_store())
    model = ModelApp(worker, max_concurrency=settings.max_concurrency)

    @model.app.post("/v1/transcribe")
    async def transcribe(request: TranscribeRequest) -> TranscribeResponse:
        deadline = time.monotonic() + (request.deadline_ms or settings.deadline_ms) / 1000
        call = functools.partial(worker.transcribe, request, deadline)
        return await model.run(call, deadline=deadline)

    return model.app
