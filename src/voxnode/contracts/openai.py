"""Contract 6: the OpenAI-compatible face (chat, completions, model list) and VoxNode's
extensions, which are extra body fields that OpenAI clients send through `extra_body`.

Extensions: `knowledge_base` (chat answered from a knowledge base, with citations),
`keep_alive` (Ollama's: a duration such as "10m" or seconds; 0 unloads the model
after the answer, -1 keeps it loaded), `deadline_ms` (the node sets it), `grammar` (a
llama.cpp GBNF grammar), `no_cjk` (no Chinese or Japanese characters in the answer) and
`no_latin_words` (no lower-case English word after a space: an answer in Chinese).
`/v1/score` is an extension route: the log-likelihood of texts, which English repair ranks
candidates by; `/v1/host/status` and `/v1/host/unload` show and change what a host holds.
"""

from __future__ import annotations

import re
import time
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from voxnode.contracts.service_request import ServiceRequest

DEFAULT_MODEL = "default"
"""Any model name the host does not know as such is this: its default model."""
KeepAlive = str | float | int | None
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def keep_alive_seconds(value: KeepAlive) -> float | None:
    """None: the host's idle TTL; 0: unload after the answer; inf: never unload (-1)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"keep_alive '{value}' is no duration (e.g. 30s, 10m, 0, -1)")
        seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    return float("inf") if seconds < 0 else seconds


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant"]
    content: str


class StreamOptions(BaseModel):
    include_usage: bool = False


class _Generation(ServiceRequest):
    model_config = ConfigDict(extra="ignore")
    model: str = DEFAULT_MODEL
    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1, le=32768)
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    keep_alive: KeepAlive = None
    """VoxNode (Ollama's): how long the model stays loaded after this request."""
    grammar: str | None = None
    """VoxNode (llama.cpp's): a GBNF grammar the answer must match."""
    no_cjk: bool = False
    """VoxNode: no Chinese or Japanese characters or fullwidth punctuation in the answer."""
    no_latin_words: bool = False
    """VoxNode: no lower-case English word after a space (an answer in Chinese)."""
    route: Literal["local", "cloud", "auto"] | None = None
    """VoxNode: this machine, the cloud, or the rules (also the X-VoxNode-Route header)."""

    @field_validator("keep_alive")
    @classmethod
    def _duration(cls, value: KeepAlive) -> KeepAlive:
        keep_alive_seconds(value)
        return value

    def stops(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)


class ChatCompletionRequest(_Generation):
    endpoint: ClassVar[str] = "/v1/chat/completions"
    messages: list[ChatMessageIn] = Field(min_length=1)
    logprobs: bool = False
    knowledge_base: str | None = Field(None, min_length=1, max_length=63)
    """VoxNode: answer from this knowledge base; the last user message is the question, its
    passages go into the prompt and the answer carries `citations` (retrieval chat)."""
    knowledge_top_k: int = Field(5, ge=1, le=20)


class CompletionRequest(_Generation):
    endpoint: ClassVar[str] = "/v1/completions"
    prompt: str


class ScoreRequest(ServiceRequest):
    """VoxNode: natural-log likelihood of each text after `context` (sum over its tokens),
    or, with `messages`, of each text as the assistant's reply to them (the model's chat
    template applied): how likely a translation makes its source, translated back."""

    endpoint: ClassVar[str] = "/v1/score"
    model: str = DEFAULT_MODEL
    texts: list[str] = Field(min_length=1, max_length=64)
    context: str = ""
    messages: list[ChatMessageIn] | None = Field(None, min_length=1)
    keep_alive: KeepAlive = None

    @model_validator(mode="after")
    def _one_context(self) -> ScoreRequest:
        if self.messages is not None and self.context:
            raise ValueError("give context or messages, not both")
        return self


class ScoreResponse(BaseModel):
    model: str
    scores: list[float]


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class TokenLogprob(BaseModel):
    token: str
    logprob: float


class ChoiceLogprobs(BaseModel):
    content: list[TokenLogprob] = []


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str | None
    logprobs: ChoiceLogprobs | None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[ChatChoice]
    usage: UsageOut | None = None


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[ChunkChoice]
    usage: UsageOut | None = None


class CompletionChoice(BaseModel):
    index: int = 0
    text: str
    finish_reason: str | None = None


class Completion(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[CompletionChoice]
    usage: UsageOut | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "voxnode"


class HostedModelView(BaseModel):
    """What the model host says of one model it holds (voxnode models ps)."""

    name: str
    engine: str
    loaded_at: float
    """Wall-clock time of the load."""
    idle_s: float
    expires_in_s: float | None
    """Seconds until the idle unload; None: kept loaded (keep_alive -1 or in use)."""
    in_use: int
    memory_mb: float
    """Resident memory of the processes serving it (weights shared between them counted once)."""
    pids: list[int] = []
    details: dict[str, Any] = {}


class HostStatus(BaseModel):
    models: list[HostedModelView]
    default_model: str
    idle_ttl_s: float


class HostStatusRequest(ServiceRequest):
    endpoint: ClassVar[str] = "/v1/host/status"


class UnloadRequest(ServiceRequest):
    endpoint: ClassVar[str] = "/v1/host/unload"
    model: str


class UnloadResponse(BaseModel):
    model: str
    unloaded: bool
