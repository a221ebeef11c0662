"""An in-memory LlmEngine for unit tests of what sits on the engine layer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from voxnode.engines.llm_engine import (
    ChatMessage,
    ChatResult,
    Context,
    EngineError,
    EngineHealth,
    EngineStats,
    Piece,
    Sampling,
    Usage,
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
    logprob: float | None = None
    """What chat() reports as the answer's log-probability."""
    samplings: list[Sampling] = field(default_factory=list)

    def _tick(self) -> None:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise EngineError(f"{self.name} crashed")

    def chat(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> ChatResult:  # fmt: skip
        self._tick()
        self.prompts.append(list(messages))
        self.samplings.append(sampling)
        return ChatResult(self.reply, 1, 1, "stop", 0.0, 0.0, logprob=self.logprob)

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> Iterator[Piece]:  # fmt: skip
        self._tick()
        self.prompts.append(list(messages))
        yield from self._pieces()

    def complete(
        self, prompt: str, sampling: Sampling = Sampling(), *, deadline: float | None = None
    ) -> Iterator[Piece]:
        self._tick()
        yield from self._pieces()

    def _pieces(self) -> Iterator[Piece]:
        words = self.reply.split(" ")
        for index, word in enumerate(words):
            yield Piece(word if index == 0 else " " + word, logprob=-0.1)
        yield Piece("", finish_reason="stop", usage=Usage(1, len(words)))

    def score(
        self, texts: Sequence[str], *, context: Context = "", deadline: float | None = None
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
