"""The one Protocol every LLM engine meets, and the value types it speaks.

Repair ranks candidates with `score`, and translation its candidates by how likely each makes
the source (`score` after chat messages); translation and repair generate with `chat`; the
model host streams with `stream` (chat messages) and `complete` (a raw prompt). How to
sample is one value (`Sampling`); a streamed answer is a sequence of `Piece`s, the last one
carrying the finish reason and the token counts. A deadline is absolute (`time.monotonic()`):
an engine stops generating when it passes and raises DeadlineError instead of answering late.
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


Context = str | Sequence[ChatMessage]
"""What a scored text follows: raw text, or chat messages the text answers."""


@dataclass(frozen=True, slots=True)
class Sampling:
    max_tokens: int = 256
    temperature: float = 0.0
    """0: greedy."""
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    """None: the engine's own (greedy decoding needs none)."""
    grammar: str | None = None
    """A llama.cpp GBNF grammar the answer must match (engines A and B; C ignores it)."""
    no_cjk: bool = False
    """No Chinese or Japanese characters or fullwidth punctuation in the answer: their
    tokens are banned (a translation into English; engines A and B)."""
    no_latin_words: bool = False
    """No lower-case English word after a space in the answer (a translation into Chinese:
    " executives" for 高管; engines A and B; token_bans.py)."""

    def bans(self) -> tuple[str, ...]:
        """The token bans (token_bans.BANS) this sampling asks for."""
        return (("cjk",) if self.no_cjk else ()) + (("latin_words",) if self.no_latin_words else ())


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class Piece:
    """A streamed part of an answer: one or a few tokens of text."""

    text: str
    logprob: float | None = None
    """Natural-log probability of the piece's tokens (None: the engine does not report it)."""
    finish_reason: str | None = None
    """On the last piece: stop (end of answer or a stop string) or length (max_tokens)."""
    usage: Usage | None = None
    """On the last piece, when the engine counts tokens."""


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
    logprob: float | None = None
    """Sum of the answer's token log-probabilities (None: unknown)."""


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
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> ChatResult: ...  # fmt: skip

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> Iterator[Piece]: ...  # fmt: skip

    def complete(
        self, prompt: str, sampling: Sampling = Sampling(), *, deadline: float | None = None
    ) -> Iterator[Piece]:
        """A raw text completion of `prompt` (no chat template)."""
        ...

    def score(
        self, texts: Sequence[str], *, context: Context = "", deadline: float | None = None
    ) -> list[float]:
        """Natural-log likelihood of each text following `context` (sum over its tokens):
        raw text, or chat messages, after which each text is scored as the assistant's reply
        (the model's chat template with its generation prompt, as `chat` would ask)."""
        ...

    def health(self) -> EngineHealth: ...

    def stats(self) -> EngineStats: ...

    def close(self) -> None: ...


def check_deadline(deadline: float | None) -> None:
    """Raise EngineDeadlineError once the absolute deadline (time.monotonic()) has passed."""
    if deadline is not None and time.monotonic() >= deadline:
        raise EngineDeadlineError("the deadline passed before the engine finished")


def timed_chat(pieces: Iterable[Piece]) -> ChatResult:
    """Join streamed pieces, timing the first piece and the whole; token counts come from
    the last piece's usage, else the pieces seen."""
    started = time.monotonic()
    first: float | None = None
    parts: list[str] = []
    finish, usage = "stop", None
    logprob: float | None = 0.0
    for piece in pieces:
        if piece.text:
            first = first or time.monotonic()
            parts.append(piece.text)
            logprob = None if logprob is None or piece.logprob is None else logprob + piece.logprob
        finish = piece.finish_reason or finish
        usage = piece.usage or usage
    ended = time.monotonic()
    return ChatResult(
        text="".join(parts), prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else len(parts),
        finish_reason=finish, ttft_s=(first or ended) - started, total_s=ended - started,
        logprob=logprob if parts else None,
    )  # fmt: skip
