"""python -m voxnode.services.llm: the model host (package llm-local, type llm).

OpenAI-compatible `POST /v1/chat/completions` and `/v1/completions` (streamed as SSE or
whole), `GET /v1/models`, and the extensions `POST /v1/score` (log-likelihoods for repair),
`GET /v1/host` (what is loaded, since when, how much memory) and `POST /v1/host/unload`.
Models load on the first request that names them and leave after their keep-alive. A
client that goes away mid-stream stops its generation at the next token.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import ModelSettings
from voxnode.contracts.openai import (
    ChatCompletionRequest,
    CompletionRequest,
    HostStatus,
    HostStatusRequest,
    ModelCard,
    ScoreRequest,
    ScoreResponse,
    UnloadRequest,
    UnloadResponse,
    keep_alive_seconds,
)
from voxnode.engines.llm_engine import ChatMessage, Context, Piece, Sampling
from voxnode.models.model_catalog import ModelKind
from voxnode.models.model_store import ModelStore
from voxnode.models.model_store_factory import service_model_settings, service_model_store
from voxnode.services.common.model_app import ModelApp
from voxnode.services.llm.hosted_model import HostedModel
from voxnode.services.llm.model_host import ModelHost
from voxnode.services.llm.openai_format import (
    DONE,
    chat_chunks,
    chat_completion,
    completion_chunks,
    text_completion,
)
from voxnode.services.llm.settings import LlmHostSettings
from voxnode.services.llm.thread_stream import iterate_in_thread

WARM_UP = [ChatMessage("user", "Reply with the word ready.")]


class LlmHostWorker:
    name = "llm-local"

    def __init__(self, settings: LlmHostSettings, models: ModelSettings, store: ModelStore):
        self.host = ModelHost(settings, models, store)

    def load(self) -> None:
        self.host.start()
        self.host.store.pull(self.host.resolve(""))

    def warm_up(self) -> None:
        """One real chat on the default model: it loads it, and it stays for its TTL."""
        with self.host.use("") as model:
            model.chat(WARM_UP, Sampling(max_tokens=4), time.monotonic() + 300)

    def info(self) -> dict[str, Any]:
        return self.host.status().model_dump()

    def close(self) -> None:
        self.host.close()


def sampling_of(request: ChatCompletionRequest | CompletionRequest) -> Sampling:
    return Sampling(
        max_tokens=request.max_tokens or 512, temperature=request.temperature,
        top_p=request.top_p, stop=request.stops(), seed=request.seed,
        grammar=request.grammar, no_cjk=request.no_cjk,
        no_latin_words=request.no_latin_words,
    )  # fmt: skip


def score_context(request: ScoreRequest) -> Context:
    """What the request's texts follow: its chat messages, else its raw context."""
    if request.messages is None:
        return request.context
    return [ChatMessage(m.role, m.content) for m in request.messages]


def build_app(
    settings: LlmHostSettings | None = None, *, store: ModelStore | None = None,
    models: ModelSettings | None = None,
) -> FastAPI:  # fmt: skip
    settings = settings or LlmHostSettings()
    worker = LlmHostWorker(
        settings, models or service_model_settings(), store or service_model_store()
    )
    host = worker.host
    model = ModelApp(worker, max_concurrency=settings.max_concurrency)
    app = model.app

    def deadline_of(deadline_ms: int | None) -> float:
        return time.monotonic() + (deadline_ms or settings.deadline_ms) / 1000

    async def pieces(
        name: str, keep_alive: float | None, make: Callable[[HostedModel], Iterator[Piece]]
    ) -> AsyncIterator[Piece]:
        """The model's pieces read on a thread; the model is held in use until the end."""

        def run() -> Iterator[Piece]:
            with host.use(name, keep_alive_s=keep_alive) as hosted:
                yield from make(hosted)

        stream = iterate_in_thread(run)
        first = await anext(stream)  # errors before the first piece are an HTTP error

        async def rest() -> AsyncIterator[Piece]:
            yield first
            async for piece in stream:
                yield piece

        return rest()

    async def answer(
        request: ChatCompletionRequest | CompletionRequest,
        make: Callable[[HostedModel], Iterator[Piece]],
    ) -> Response:
        deadline = deadline_of(request.deadline_ms)
        name = host.resolve(request.model)
        keep = keep_alive_seconds(request.keep_alive)
        place = contextlib.AsyncExitStack()  # a place among max_concurrency, held to the end
        await place.enter_async_context(model.admitted(deadline))
        try:
            stream = await pieces(name, keep, make)
            if not request.stream:
                whole: BaseModel
                if isinstance(request, ChatCompletionRequest):
                    whole = await chat_completion(stream, model=name, logprobs=request.logprobs)
                else:
                    whole = await text_completion(stream, model=name)
                return JSONResponse(whole.model_dump(exclude_none=True))
        except BaseException:
            await place.aclose()
            raise
        if not request.stream:
            await place.aclose()
        if isinstance(request, ChatCompletionRequest):
            usage = bool(request.stream_options and request.stream_options.include_usage)
            events = chat_chunks(stream, model=name, logprobs=request.logprobs, include_usage=usage)
        else:
            events = completion_chunks(stream, model=name)
        return StreamingResponse(_guarded(events, place), media_type="text/event-stream")

    @app.post("/v1/chat/completions")
    async def chat(request: ChatCompletionRequest) -> Response:
        messages = [ChatMessage(m.role, m.content) for m in request.messages]
        sampling = sampling_of(request)
        deadline = deadline_of(request.deadline_ms)
        return await answer(request, lambda hosted: hosted.stream(messages, sampling, deadline))

    @app.post("/v1/completions")
    async def completions(request: CompletionRequest) -> Response:
        sampling = sampling_of(request)
        deadline = deadline_of(request.deadline_ms)
        return await answer(
            request, lambda hosted: hosted.complete(request.prompt, sampling, deadline)
        )

    @app.post("/v1/score")
    async def score(request: ScoreRequest) -> ScoreResponse:
        deadline = deadline_of(request.deadline_ms)
        name = host.resolve(request.model)
        keep = keep_alive_seconds(request.keep_alive)

        def run() -> list[float]:
            with host.use(name, keep_alive_s=keep) as hosted:
                return hosted.score(request.texts, score_context(request), deadline)

        scores = await model.run(run, deadline=deadline)
        return ScoreResponse(model=name, scores=scores)

    @app.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        cards = [
            ModelCard(id=state.entry.name).model_dump()
            for state in host.store.states()
            if state.entry.kind is ModelKind.LLM and state.present
        ]
        return {"object": "list", "data": cards}

    @app.post("/v1/host/status")
    async def status(_: HostStatusRequest) -> HostStatus:
        return host.status()

    @app.post("/v1/host/unload")
    async def unload(request: UnloadRequest) -> UnloadResponse:
        return UnloadResponse(model=request.model, unloaded=host.unload(request.model))

    return app


async def _guarded(
    events: AsyncIterator[bytes], place: contextlib.AsyncExitStack
) -> AsyncIterator[bytes]:
    """A failure after the first byte (deadline, a crashed engine) cannot change the status
    any more: it ends the stream with an error event, then [DONE]. The request's place is
    given back when the stream ends, however it ends."""
    try:
        async for event in events:
            yield event
    except VoxnodeError as exc:
        yield b"data: " + json.dumps(exc.body().model_dump(mode="json")).encode() + b"\n\n"
        yield DONE
    finally:
        await place.aclose()
