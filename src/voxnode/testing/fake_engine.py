"""An in-memory LlmEngine for unit tests of what sits on the engine layer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from voxnode.engines.llm_engine import (
    ChatMessage,
    ChatResult,
    EngineError,
    EngineHealth,
    EngineStats,
)


@dataclass
class FakeEngine:
    """Answers `reply`; scores a text from `scores` (keyed by the stripped text) or by minus
    its length; fails after `fail_after` calls."""

    name: str = "fake"
    reply: str = "ok"
    fail_after: int | None = None
    calls: int = 0
    closed: bool = False
    prompts: list[list[ChatMessage]] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    scored: list[str] = field(default_factory=list)

    def _tick(self) -> None:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise EngineError(f"{self.name} crashed")

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        deadline: float | None = None,
    ) -> ChatResult:
        self._tick()
        self.prompts.append(list(messages))
        return ChatResult(self.reply, 1, 1, "stop", 0.0, 0.0)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        deadline: float | None = None,
    ) -> Iterator[str]:
        self._tick()
        yield from self.reply.split(" ")

    def score(
        self, texts: Sequence[str], *, context: str = "", deadline: float | None = None
    ) -> list[float]:
        self._tick()
        self.scored.extend(text.strip() for text in texts)
        return [self.scores.get(text.strip(), -float(len(text))) for text in texts]

    def health(self) -> EngineHealth:
        return EngineHealth(not self.closed, self.name)

    def stats(self) -> EngineStats:
        return EngineStats(engine=self.name, model="fake", backend="cpu", gpu_layers=0)

    def close(self) -> None:
        self.closed = True
