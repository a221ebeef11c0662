"""python -m voxnode.services.translate: POST /v1/translate (contract 2) on the LLM."""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

from fastapi import FastAPI

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.languages import language_code
from voxnode.contracts.speech import TranslateRequest, TranslateResponse
from voxnode.contracts.translate_stream import TranslateStreamRequest
from voxnode.engines.engine_factory import NODE_ENGINE, EngineSettings, build_engine
from voxnode.engines.llm_engine import LlmEngine
from voxnode.models.memory_probe import on_here
from voxnode.models.model_store import ModelStore
from voxnode.models.model_store_factory import service_model_store
from voxnode.services.common.model_app import ModelApp
from voxnode.services.translate.settings import NmtSettings
from voxnode.services.translate.stream_route import Produce, add_stream_route
from voxnode.services.translate.stream_translator import StreamingTranslator
from voxnode.services.translate.translator import LlmTranslator, Translator

WARM_UP = {"en": "Good morning.", "zh": "早上好。"}
"""The sentence each source language warms the service with."""


class NmtWorker:
    name = "nmt-llm"

    def __init__(
        self,
        settings: NmtSettings,
        *,
        store: ModelStore | None = None,
        engine: LlmEngine | None = None,
    ):
        self.settings = settings
        self._store = store
        self._engine = engine
        self.translator: Translator | None = None
        self.streamer: StreamingTranslator | None = None
        self._model: str | None = None

    def load(self) -> None:
        s = self.settings
        if self._engine is None:
            engine = EngineSettings(
                engine=s.engine, n_threads=s.n_threads, n_ctx=s.n_ctx, node_model=s.llm_model
            )
            model = None
            if s.engine != NODE_ENGINE:
                assert self._store is not None, "give an engine or a model store"
                model = self._store.pull(s.llm_model)
            self._model = str(model or s.llm_model)
            self._engine = build_engine(model, engine)
        translator = LlmTranslator(
            self._engine, prompts=s.prompt_list(), low_quality=s.low_quality,
            back_translate_share=back_translated_share(s),
        )  # fmt: skip
        self.translator = translator
        self.streamer = StreamingTranslator(
            self._engine, translator, prompt=s.prompt_list()[0], low_quality=s.low_quality
        )

    def warm_up(self) -> None:
        """One request per direction served: each direction's fixed prompt goes into the
        engine's prompt cache (a slot of its own on llama-server), so that the first
        listener of either direction does not wait for it to be read."""
        served = self.settings.language_list()
        for src, tgt in ((s, t) for s in served for t in served if s != t and s in WARM_UP):
            self.translate(
                TranslateRequest(text=WARM_UP[src], src_lang=src, tgt_lang=tgt),
                time.monotonic() + 120,
            )

    def translate(self, request: TranslateRequest, deadline: float) -> TranslateResponse:
        assert self.translator is not None
        src, tgt = self._pair(request)
        started = time.monotonic()
        result = self.translator.translate(
            request.text, src, tgt, previous=self._previous(request), deadline=deadline
        )
        elapsed = round((time.monotonic() - started) * 1000, 3)
        return TranslateResponse(
            text=result.text, engine=self.translator.name, process_time_ms=elapsed,
            quality=result.quality, low_confidence=result.low_confidence,
            issues=list(result.issues),
        )  # fmt: skip

    def stream(self, request: TranslateStreamRequest, deadline: float) -> Produce:
        """The streamed translation, checked now, generated when called (on a thread)."""
        streamer = self.streamer
        assert streamer is not None
        src, tgt = self._pair(request)

        def produce(stop: threading.Event) -> Any:
            return streamer.translate(
                request.text,
                src,
                tgt,
                previous=self._previous(request),
                deadline=deadline,
                stop=stop,
            )

        return produce

    def _previous(self, request: TranslateRequest) -> tuple[str, str] | None:
        if self.settings.use_context and request.context_text and request.context_translation:
            return (request.context_text, request.context_translation)
        return None

    def _pair(self, request: TranslateRequest) -> tuple[str, str]:
        src, tgt = language_code(request.src_lang), language_code(request.tgt_lang)
        served = self.settings.language_list()
        if src not in served or tgt not in served or src == tgt:
            raise BadInputError(
                f"{self.name} translates between {served}, not {src} -> {tgt}",
                code="UNSUPPORTED_LANGUAGE_PAIR",
            )
        return src, tgt

    def info(self) -> dict[str, Any]:
        engine = self._engine
        return {
            "engine": engine.name if engine else None,
            "model": self._model,
            "languages": self.settings.language_list(),
            "back_translate_share": self.translator.back_translate_share
            if isinstance(self.translator, LlmTranslator)
            else 0.0,
        }


def back_translated_share(settings: NmtSettings) -> float:
    """The share of sentences the translator back-translates on this machine."""
    return settings.back_translate_share if on_here(settings.back_translate) else 0.0


def build_app(
    settings: NmtSettings | None = None, *, engine: LlmEngine | None = None,
    store: ModelStore | None = None,
) -> FastAPI:  # fmt: skip
    settings = settings or NmtSettings()
    worker = NmtWorker(
        settings, engine=engine, store=store or (service_model_store() if engine is None else None)
    )
    model = ModelApp(worker, max_concurrency=settings.max_concurrency)

    @model.app.post("/v1/translate")
    async def translate(request: TranslateRequest) -> TranslateResponse:
        deadline = time.monotonic() + (request.deadline_ms or settings.deadline_ms) / 1000
        return await model.run(
            functools.partial(worker.translate, request, deadline), deadline=deadline
        )

    add_stream_route(model, worker.stream, settings.deadline_ms)
    return model.app
