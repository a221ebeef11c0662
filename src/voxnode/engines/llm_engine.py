"""The one Protocol every LLM engine meets, and the value types it speaks.

Repair ranks candidates with `score`; translation and repair generate with `chat`; the
local LLM service streams with `stream`. A deadline is absolute (`time.monotonic()`): an
engine stops generating when it passes and raises DeadlineError instead of answering late.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from voxnode.contracts.errors import DeadlineError, ErrorCategory, VoxnodeError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    """stop (end of answer or a stop string) or length (max_tokens reached)."""
    ttft_s: float
    """Time to first token."""
    total_s: float


@dataclass(frozen=True, slots=True)
class EngineHealth:
    ok: bool
    engine: str
    detail: str = ""


@dataclass(slots=True)
class EngineStats:
    engine: str
    model: str
    backend: str
    """cpu, cuda, metal, vulkan, ... as the engine found it."""
    gpu_layers: int
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    scored_texts: int = 0
    errors: int = 0
    extra: dict[str, str] = field(default_factory=dict)


class EngineError(VoxnodeError):
    """The engine failed to answer (crashed, broke its protocol): the chain falls back."""

    code = "ENGINE_ERROR"
    category = ErrorCategory.TRANSIENT
    status = 502


class EngineLoadError(EngineError):
    code = "ENGINE_LOAD_FAILED"
    category = ErrorCategory.PERMANENT


class EngineUnavailableError(EngineLoadError):
    """The engine's runtime is not installed here (no module, no binary, no GPU)."""

    code = "ENGINE_UNAVAILABLE"


class EngineDeadlineError(DeadlineError):
    code = "ENGINE_DEADLINE"


@runtime_checkable
class LlmEngine(Protocol):
    name: str

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        deadline: float | None = None,
    ) -> ChatResult: ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        deadline: float | None = None,
    ) -> Iterator[str]: ...

    def score(
        self, texts: Sequence[str], *, context: str = "", deadline: float | None = None
    ) -> list[float]:
        """Natural-log likelihood of each text following `context` (sum over its tokens)."""
        ...

    def health(self) -> EngineHealth: ...

    def stats(self) -> EngineStats: ...

    def close(self) -> None: ...


def check_deadline(deadline: float | None) -> None:
    """Raise EngineDeadlineError once the absolute deadline (time.monotonic()) has passed."""
    if deadline is not None and time.monotonic() >= deadline:
        raise EngineDeadlineError("the deadline passed before the engine finished")


def timed_chat(pieces: Iterable[tuple[str, str | None]]) -> ChatResult:
    """Join streamed (piece, finish_reason) pairs, timing the first piece and the whole.

    Token counts are the pieces seen; engines that know better replace them.
    """
    started = time.monotonic()
    first: float | None = None
    parts: list[str] = []
    finish = "stop"
    for piece, reason in pieces:
        if piece:
            first = first or time.monotonic()
            parts.append(piece)
        finish = reason or finish
    ended = time.monotonic()
    return ChatResult(
        text="".join(parts), prompt_tokens=0, completion_tokens=len(parts),
        finish_reason=finish, ttft_s=(first or ended) - started, total_s=ended - started,
    )  # fmt: skip
