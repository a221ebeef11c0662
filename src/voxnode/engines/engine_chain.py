"""Pick an engine by configuration, and fall back in the seed's order when one fails.

Seed 000 section 6: llama.cpp in process first; llama-server when the binding is unstable;
ExLlamaV2 when llama.cpp cannot use the GPU. `auto` walks that order: an engine that cannot
load is skipped, and one that fails mid-call (crash, broken protocol) is closed and the call
is retried once on the next engine. Deadlines and bad input are the caller's, never a
reason to switch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from voxnode.engines.llm_engine import (
    ChatMessage,
    ChatResult,
    Context,
    EngineError,
    EngineHealth,
    EngineLoadError,
    EngineStats,
    LlmEngine,
    Piece,
    Sampling,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

EngineFactory = Callable[[], LlmEngine]
SEED_ORDER = ("llama-cpp", "llama-server", "exllamav2")


class EngineChain:
    """An LlmEngine that is the first of its factories that loads and answers."""

    name = "chain"

    def __init__(self, factories: Sequence[tuple[str, EngineFactory]]):
        if not factories:
            raise EngineLoadError("no engine configured")
        self._factories = list(factories)
        self._index = 0
        self._engine: LlmEngine | None = None
        self._lock = threading.Lock()
        self.failures: list[tuple[str, str]] = []
        """(engine, reason) for every engine given up on, oldest first."""

    @property
    def active(self) -> LlmEngine:
        with self._lock:
            return self._ensure()

    def chat(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> ChatResult:  # fmt: skip
        return self._call(lambda e: e.chat(messages, sampling, deadline=deadline))

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> Iterator[Piece]:  # fmt: skip
        """Falls back only before the first piece: a half-streamed answer is not replayed."""
        return self._stream(lambda e: e.stream(messages, sampling, deadline=deadline))

    def complete(
        self, prompt: str, sampling: Sampling = Sampling(), *, deadline: float | None = None
    ) -> Iterator[Piece]:
        return self._stream(lambda e: e.complete(prompt, sampling, deadline=deadline))

    def score(
        self, texts: Sequence[str], *, context: Context = "", deadline: float | None = None
    ) -> list[float]:
        return self._call(lambda e: e.score(texts, context=context, deadline=deadline))

    def health(self) -> EngineHealth:
        with self._lock:
            if self._engine is None:
                return EngineHealth(False, self.name, "no engine loaded yet")
            return self._engine.health()

    def stats(self) -> EngineStats:
        return self.active.stats()

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def _stream(self, start: Callable[[LlmEngine], Iterator[Piece]]) -> Iterator[Piece]:
        engine = self.active
        pieces = start(engine)
        try:
            first = next(pieces, None)
        except EngineError as exc:
            if isinstance(exc, EngineLoadError):
                raise
            self._give_up(engine, exc)
            yield from self._stream(start)
            return
        if first is not None:
            yield first
            yield from pieces

    def _call(self, action: Callable[[LlmEngine], T]) -> T:
        engine = self.active
        try:
            return action(engine)
        except EngineError as exc:
            if isinstance(exc, EngineLoadError):
                raise
            self._give_up(engine, exc)
        return action(self.active)

    def _give_up(self, engine: LlmEngine, exc: Exception) -> None:
        with self._lock:
            if self._engine is not engine:
                return  # another thread already moved on
            log.warning("engine %s failed (%s); falling back", engine.name, exc)
            self.failures.append((engine.name, str(exc)))
            try:
                engine.close()
            except Exception:  # closing a crashed engine may fail too; it is dropped anyway
                log.debug("closing %s failed", engine.name, exc_info=True)
            self._engine = None
            self._index += 1

    def _ensure(self) -> LlmEngine:
        while self._engine is None:
            if self._index >= len(self._factories):
                reasons = "; ".join(f"{name}: {why}" for name, why in self.failures)
                raise EngineLoadError(f"no engine could serve ({reasons})")
            name, factory = self._factories[self._index]
            try:
                self._engine = factory()
            except EngineLoadError as exc:
                self.failures.append((name, exc.message))
                self._index += 1
        return self._engine


def engine_order(choice: str) -> tuple[str, ...]:
    """`auto`: the seed's order; one engine's name: only that one (no silent switch)."""
    if choice == "auto":
        return SEED_ORDER
    if choice not in SEED_ORDER:
        raise EngineLoadError(f"unknown engine '{choice}' (auto, {', '.join(SEED_ORDER)})")
    return (choice,)
