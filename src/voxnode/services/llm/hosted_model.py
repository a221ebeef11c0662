"""One model as the host holds it: an engine that generates and, on first need, one that
scores. On a CPU both map the same GGUF without repacking, so the weights sit in RAM once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from voxnode.engines.engine_chain import EngineChain
from voxnode.engines.engine_factory import EngineSettings, build_engine
from voxnode.engines.llama_server_engine import LlamaServerEngine
from voxnode.engines.llm_engine import (
    ChatMessage,
    ChatResult,
    Context,
    LlmEngine,
    Piece,
    Sampling,
)
from voxnode.services.llm.settings import LlmHostSettings

KV_BYTES_PER_TOKEN = 32 * 1024
"""A generous KV-cache size per context token for the small models hosted here (Qwen2.5-1.5B
needs 28 KB in f16); admission adds it to the file size."""


@dataclass
class HostedModel:
    name: str
    path: Path
    generator: LlmEngine
    score_settings: EngineSettings | None
    """None: the generator scores too."""
    loaded_at: float = field(default_factory=time.time)
    _scorer: LlmEngine | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, name: str, path: Path, settings: LlmHostSettings, *, gpu: bool) -> HostedModel:
        engine = EngineSettings(
            engine=settings.engine, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
            gpu_layers=settings.gpu_layers, server_parallel=settings.parallel,
            repack=gpu,  # on a CPU the weights stay in the mapped file: shared with the scorer
        )  # fmt: skip
        generator = build_engine(path, engine)
        generator.active  # noqa: B018 - load now, so a broken model fails the load, not a request
        score = _score_settings(settings, engine, gpu=gpu)
        return cls(name, path, generator, score)

    def chat(
        self, messages: Sequence[ChatMessage], sampling: Sampling, deadline: float
    ) -> ChatResult:
        return self.generator.chat(messages, sampling, deadline=deadline)

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling, deadline: float
    ) -> Iterator[Piece]:
        return self.generator.stream(messages, sampling, deadline=deadline)

    def complete(self, prompt: str, sampling: Sampling, deadline: float) -> Iterator[Piece]:
        return self.generator.complete(prompt, sampling, deadline=deadline)

    def score(self, texts: Sequence[str], context: Context, deadline: float) -> list[float]:
        return self._scoring().score(texts, context=context, deadline=deadline)

    @property
    def engine_name(self) -> str:
        active = self.generator.active if isinstance(self.generator, EngineChain) else None
        return (active or self.generator).name

    @property
    def scorer_loaded(self) -> bool:
        return self._scorer is not None

    def pids(self) -> list[int]:
        """Processes serving it besides the host's own (llama-server)."""
        server = self._server()
        return [server.pid] if server else []

    def server_url(self) -> str | None:
        server = self._server()
        return server.base_url if server else None

    def _server(self) -> LlamaServerEngine | None:
        active = self.generator.active if isinstance(self.generator, EngineChain) else None
        return active if isinstance(active, LlamaServerEngine) else None

    def memory_mb(self) -> float:
        """Proportional set size of its llama-server, plus the host's own share when it
        scores in process (pages both map are counted once between them)."""
        total = 0.0
        for pid in self.pids():
            try:
                total += psutil.Process(pid).memory_full_info().pss
            except psutil.Error:
                continue
        if self._scorer is not None:
            total += psutil.Process().memory_full_info().pss
        return round(total / 2**20, 1)

    def close(self) -> None:
        with self._lock:
            scorer, self._scorer = self._scorer, None
        if scorer is not None:
            scorer.close()
        self.generator.close()

    def _scoring(self) -> LlmEngine:
        if self.score_settings is None:
            return self.generator
        with self._lock:
            if self._scorer is None:
                self._scorer = build_engine(self.path, self.score_settings)
            return self._scorer


def need_mb(path: Path, settings: LlmHostSettings) -> int:
    """What loading `path` takes: the file, and the KV cache of every slot."""
    kv = settings.n_ctx * settings.parallel * KV_BYTES_PER_TOKEN
    return int((path.stat().st_size + kv) / 2**20) + 64


def _score_settings(
    settings: LlmHostSettings, engine: EngineSettings, *, gpu: bool
) -> EngineSettings | None:
    choice = settings.score_engine
    if choice == "same" or (choice == "auto" and (gpu or settings.engine == "llama-cpp")):
        return None
    name = "llama-cpp" if choice == "auto" else choice
    return engine.model_copy(update={"engine": name, "n_ctx": 2048})
