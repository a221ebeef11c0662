"""An LlmEngine over an OpenAI-compatible endpoint: how translation and English repair reach
the model the node hosts (the node's face, which routes to a ready `llm` service), so that
one copy of a model serves them all.

Chat and completions stream as SSE (token log-probabilities asked for); `score` uses
VoxNode's `/v1/score` extension; the grammar and the CJK ban travel as VoxNode's extension
fields. Transport failures and 5xx are EngineError (the engine chain may fall back); a 504
or the deadline is EngineDeadlineError.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from voxnode.engines.llm_engine import (
    ChatMessage,
    ChatResult,
    Context,
    EngineDeadlineError,
    EngineError,
    EngineHealth,
    EngineStats,
    Piece,
    Sampling,
    Usage,
    check_deadline,
    timed_chat,
)


@dataclass(frozen=True, slots=True)
class OpenAiConfig:
    base_url: str
    """Up to and including /v1, e.g. http://127.0.0.1:8700/v1."""
    model: str = "default"
    api_key: str | None = None
    keep_alive: str | None = None


class OpenAiEngine:
    name = "openai"

    def __init__(self, config: OpenAiConfig):
        self.config = config
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._http = httpx.Client(base_url=config.base_url.rstrip("/"), headers=headers,
                                  timeout=None, trust_env=False)  # fmt: skip
        self._stats = EngineStats(engine=self.name, model=config.model, backend="remote",
                                  gpu_layers=0, extra={"url": config.base_url})  # fmt: skip

    def chat(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> ChatResult:  # fmt: skip
        return timed_chat(self.stream(messages, sampling, deadline=deadline))

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> Iterator[Piece]:  # fmt: skip
        body = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "logprobs": True,
        }
        return self._pieces("/chat/completions", body, sampling, deadline)

    def complete(
        self, prompt: str, sampling: Sampling = Sampling(), *, deadline: float | None = None
    ) -> Iterator[Piece]:
        return self._pieces("/completions", {"prompt": prompt}, sampling, deadline)

    def score(
        self, texts: Sequence[str], *, context: Context = "", deadline: float | None = None
    ) -> list[float]:
        after = (
            {"context": context} if isinstance(context, str)
            else {"messages": [{"role": m.role, "content": m.content} for m in context]}
        )  # fmt: skip
        body = {"model": self.config.model, "texts": list(texts), **after, **self._extras(deadline)}
        response = self._post("/score", body, deadline)
        try:
            scores = [float(x) for x in response.json()["scores"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineError(
                f"{self.config.base_url}: a score answer outside the contract"
            ) from exc
        self._stats.scored_texts += len(texts)
        return scores

    def health(self) -> EngineHealth:
        root = self.config.base_url.rstrip("/").removesuffix("/v1")
        try:
            response = httpx.get(root + "/health", timeout=2.0, trust_env=False)
        except httpx.HTTPError as exc:
            return EngineHealth(False, self.name, str(exc))
        return EngineHealth(response.status_code == 200, self.name, root)

    def stats(self) -> EngineStats:
        return self._stats

    def close(self) -> None:
        self._http.close()

    # -- internals -------------------------------------------------------------------------

    def _extras(self, deadline: float | None) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        if self.config.keep_alive is not None:
            extras["keep_alive"] = self.config.keep_alive
        if deadline is not None:
            extras["deadline_ms"] = max(1, int((deadline - time.monotonic()) * 1000))
        return extras

    def _pieces(
        self, path: str, body: dict[str, Any], sampling: Sampling, deadline: float | None
    ) -> Iterator[Piece]:
        chat = path == "/chat/completions"
        body = {
            **body, "model": self.config.model, "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature, "top_p": sampling.top_p,
            "stop": list(sampling.stop) or None, "stream": True,
            "stream_options": {"include_usage": True}, "no_cjk": sampling.no_cjk,
            "no_latin_words": sampling.no_latin_words,
            **({} if sampling.seed is None else {"seed": sampling.seed}),
            **({} if sampling.grammar is None else {"grammar": sampling.grammar}),
            **self._extras(deadline),
        }  # fmt: skip
        self._stats.requests += 1
        finish: str | None = None
        usage: Usage | None = None
        with self._open(path, body, deadline) as response:
            for line in response.iter_lines():
                check_deadline(deadline)
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                event = json.loads(line[6:])
                if "error" in event:
                    raise EngineError(f"{self.config.base_url}: {event['error'].get('message')}")
                if counts := event.get("usage"):
                    usage = Usage(int(counts["prompt_tokens"]), int(counts["completion_tokens"]))
                for choice in event.get("choices") or []:
                    text = (
                        (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                    )
                    finish = choice.get("finish_reason") or finish
                    if text:
                        yield Piece(text, openai_logprob(choice.get("logprobs")))
        yield Piece("", finish_reason=finish or "stop", usage=usage)

    def _post(self, path: str, body: dict[str, Any], deadline: float | None) -> httpx.Response:
        with self._open(path, body, deadline) as response:
            response.read()
            return response

    @contextmanager
    def _open(
        self, path: str, body: dict[str, Any], deadline: float | None
    ) -> Iterator[httpx.Response]:
        check_deadline(deadline)
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0.001)
        request = self._http.build_request("POST", path, json=body, timeout=timeout)
        try:
            response = self._http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise EngineDeadlineError(f"{self.config.base_url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            self._stats.errors += 1
            raise EngineError(f"{self.config.base_url}: {exc}") from exc
        if response.status_code != 200:
            response.read()
            response.close()
            self._stats.errors += 1
            message = _error_message(response)
            if response.status_code == 504:
                raise EngineDeadlineError(message)
            raise EngineError(message)
        try:
            yield response
        finally:
            response.close()


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        return f"HTTP {response.status_code} {error.get('code')}: {error.get('message')}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}: {response.text[:300]}"


def openai_logprob(logprobs: Any) -> float | None:
    """The sum over an event's tokens: chat answers list them under "content"; text
    completions give "token_logprobs"."""
    if not isinstance(logprobs, dict):
        return None
    entries = logprobs.get("content")
    if isinstance(entries, list):
        return sum(float(e.get("logprob", 0.0)) for e in entries) if entries else None
    values = logprobs.get("token_logprobs")
    if isinstance(values, list) and values:
        return sum(float(v) for v in values if v is not None)
    return None
