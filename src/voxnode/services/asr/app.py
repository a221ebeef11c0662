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
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.speech import TranscribeRequest, TranscribeResponse
from voxnode.models.model_store_factory import open_model_store
from voxnode.services.asr.engine import WHISPER_RATE, WhisperAsr
from voxnode.services.asr.settings import AsrSettings
from voxnode.services.common.audio_codec import Audio, BadAudioError, decode
from voxnode.services.common.model_app import ModelApp


class AsrWorker:
    name = "asr-whisper"

    def __init__(self, settings: AsrSettings):
        self.settings = settings
        self.engine: WhisperAsr | None = None

    def load(self) -> None:
        model_dir = self.settings.model_dir or self._pull(self.settings.model)
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
        if request.language and accepted and request.language.split("-")[0] not in accepted:
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
        return self.engine.transcribe(audio, request.language, deadline=deadline)

    def info(self) -> dict[str, Any]:
        engine = self.engine
        if engine is None:
            return {}
        return {
            "model": str(engine.model_dir), "device": engine.device,
            "compute_type": engine.compute_type, "beam_size": engine.beam_size,
            "multilingual": engine.multilingual, "vad": self.settings.vad,
        }  # fmt: skip

    @staticmethod
    def _pull(model_id: str) -> Path:
        return open_model_store(NodeSettings()).pull(model_id)


def build_app(settings: AsrSettings | None = None) -> FastAPI:
    settings = settings or AsrSettings()
    worker = AsrWorker(settings)
    model = ModelApp(worker, max_concurrency=settings.max_concurrency)

    @model.app.post("/v1/transcribe")
    async def transcribe(request: TranscribeRequest) -> TranscribeResponse:
        deadline = time.monotonic() + (request.deadline_ms or settings.deadline_ms) / 1000
        call = functools.partial(worker.transcribe, request, deadline)
        return await model.run(call, deadline=deadline)

    return model.app
