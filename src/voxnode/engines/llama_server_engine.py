"""Engine B (Plan B): the official llama-server executable as a child process, over HTTP.

Same Protocol as engine A. Chat maps to `/v1/chat/completions` (streamed, so a deadline
stops generation). llama-server has no prompt log-probabilities, so `score` asks it to
generate the text itself under a grammar that allows only its tokens (`<[id]>`: the
tokenizer's own split, the one engine A scores), with `n_probs`: each forced token comes
back with its log-probability from the raw logits. Texts whose split has byte-fallback
pieces (rare characters) are forced character by character instead, which llama.cpp's
grammar handles; their scores can differ a little from engine A's. Texts are sent at
once and run in the server's parallel slots (one batched decode step for all of them).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from voxnode.engines.llama_server_binary import find_llama_server
from voxnode.engines.llm_engine import (
    ChatMessage,
    ChatResult,
    Context,
    EngineDeadlineError,
    EngineError,
    EngineHealth,
    EngineLoadError,
    EngineStats,
    Piece,
    Sampling,
    Usage,
    check_deadline,
    timed_chat,
)
from voxnode.engines.openai_engine import openai_logprob
from voxnode.engines.token_bans import model_banned_token_ids


@dataclass(frozen=True, slots=True)
class LlamaServerConfig:
    model_path: Path
    binary: Path | None = None
    """None: find_llama_server()."""
    n_ctx: int = 2048
    """Context per slot."""
    parallel: int = 4
    """Slots: requests (and scored texts) decoded together."""
    n_threads: int | None = None
    gpu_layers: int = 0
    """Layers offloaded to the GPU (999: all); only a GPU build of llama-server uses it."""
    startup_timeout_s: float = 120.0
    repack: bool = True
    """ggml's CPU weight repacking; off, the weights stay in the mapped file (shareable)."""
    extra_args: tuple[str, ...] = ()


class LlamaServerEngine:
    name = "llama-server"

    def __init__(self, config: LlamaServerConfig):
        if not config.model_path.is_file():
            raise EngineLoadError(f"no model file at {config.model_path}")
        binary = config.binary or find_llama_server()
        self._port = _free_port()
        self.base_url = f"http://127.0.0.1:{self._port}"
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (lives as long as the child)
            prefix="llama-server-", suffix=".log", delete=False
        )
        command = [
            str(binary), "-m", str(config.model_path), "--host", "127.0.0.1",
            "--port", str(self._port), "-c", str(config.n_ctx * config.parallel),
            "-np", str(config.parallel), "-t", str(config.n_threads or os.cpu_count() or 1),
            "-ngl", str(config.gpu_layers), "--no-webui",
            *(() if config.repack else ("--no-repack",)), *config.extra_args,
        ]  # fmt: skip
        # in the caller's process group: a service the supervisor stops (or finds dead and
        # cleans up after) takes its llama-server with it
        self._process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        # no keep-alive: llama-server drops idle connections, and a request racing that close
        # fails with "disconnected without sending a response" (a loopback connect is ~0.1 ms)
        self._client = httpx.Client(
            base_url=self.base_url, timeout=None, limits=httpx.Limits(max_keepalive_connections=0)
        )
        self._closed = False
        self._lock = threading.Lock()
        self._model_path = config.model_path
        self._banned: dict[str, list[int]] = {}
        self._pool = ThreadPoolExecutor(max_workers=config.parallel, thread_name_prefix="score")
        try:
            self._wait_ready(config.startup_timeout_s)
            props = self._client.get("/props").json()
            self._start_token = self._tokenize(props.get("bos_token") or "", special=True)
        except BaseException:
            self.close()
            raise
        self._stats = EngineStats(
            engine=self.name, model=config.model_path.name,
            backend="gpu" if config.gpu_layers else "cpu", gpu_layers=config.gpu_layers,
            extra={"pid": str(self._process.pid), "url": self.base_url},
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self._process.pid

    def chat(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> ChatResult:  # fmt: skip
        return timed_chat(self.stream(messages, sampling, deadline=deadline))

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> Iterator[Piece]:  # fmt: skip
        body = {"messages": [{"role": m.role, "content": m.content} for m in messages]}
        return self._pieces("/v1/chat/completions", body, sampling, deadline)

    def complete(
        self, prompt: str, sampling: Sampling = Sampling(), *, deadline: float | None = None
    ) -> Iterator[Piece]:
        return self._pieces("/v1/completions", {"prompt": prompt}, sampling, deadline)

    def score(
        self, texts: Sequence[str], *, context: Context = "", deadline: float | None = None
    ) -> list[float]:
        prompt: list[int | str]
        if isinstance(context, str):
            prompt = [*self._start_token, *([context] if context else [])]
        else:
            prompt = [self._chat_prompt(context, deadline)]
        futures = [self._pool.submit(self._score_one, prompt, t, deadline) for t in texts]
        results = [future.result() for future in futures]
        self._stats.scored_texts += len(texts)
        return results

    def health(self) -> EngineHealth:
        if self._process.poll() is not None:
            return EngineHealth(False, self.name, f"exited with code {self._process.returncode}")
        try:
            response = self._client.get("/health", timeout=2.0)
        except httpx.HTTPError as exc:
            return EngineHealth(False, self.name, str(exc))
        return EngineHealth(response.status_code == 200, self.name, response.text[:200])

    def stats(self) -> EngineStats:
        return self._stats

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    # -- internals -------------------------------------------------------------------------

    def _pieces(
        self, path: str, body: dict[str, Any], sampling: Sampling, deadline: float | None
    ) -> Iterator[Piece]:
        """One Piece per streamed event, with its log-probability; the last one carries the
        server's token counts."""
        chat = path == "/v1/chat/completions"
        body = {
            **body, "max_tokens": sampling.max_tokens, "temperature": sampling.temperature,
            "top_p": sampling.top_p, "stop": list(sampling.stop) or None, "stream": True,
            "stream_options": {"include_usage": True},
            "logprobs": True if chat else 1,
            **({} if sampling.seed is None else {"seed": sampling.seed}),
            **({} if sampling.grammar is None else {"grammar": sampling.grammar}),
            **self._bans(sampling),
        }  # fmt: skip
        self._stats.requests += 1
        finish: str | None = None
        usage: Usage | None = None
        with self._request("POST", path, body, deadline) as response:
            for line in response.iter_lines():
                check_deadline(deadline)
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                event = json.loads(line[6:])
                if counts := event.get("usage"):
                    usage = Usage(int(counts["prompt_tokens"]), int(counts["completion_tokens"]))
                    self._stats.prompt_tokens += usage.prompt_tokens
                    self._stats.completion_tokens += usage.completion_tokens
                choice = (event.get("choices") or [{}])[0]
                text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                finish = choice.get("finish_reason") or finish
                if text:
                    yield Piece(text, openai_logprob(choice.get("logprobs")))
        yield Piece("", finish_reason=finish or "stop", usage=usage)

    def _bans(self, sampling: Sampling) -> dict[str, Any]:
        """llama-server's logit_bias (false: never) over the banned tokens. Without the
        Python binding to read the vocabulary: the CJK ban as a grammar with the same effect
        (slower), and no ban of English words (the translator's guard still sees them)."""
        for ban in sampling.bans():
            if ban not in self._banned:
                self._banned[ban] = model_banned_token_ids(str(self._model_path), ban) or []
        banned = [token for ban in sampling.bans() for token in self._banned[ban]]
        if sampling.no_cjk and not self._banned["cjk"] and sampling.grammar is None:
            return {"grammar": NO_CJK_GRAMMAR}
        return {"logit_bias": [[token, False] for token in banned]} if banned else {}

    def _chat_prompt(self, messages: Sequence[ChatMessage], deadline: float | None) -> str:
        """The server's own chat template over `messages`, as /v1/chat/completions renders it."""
        body = {"messages": [{"role": m.role, "content": m.content} for m in messages]}
        with self._request("POST", "/apply-template", body, deadline, stream=False) as response:
            return str(response.json()["prompt"])

    def _score_one(self, prompt: list[int | str], text: str, deadline: float | None) -> float:
        want = text.encode("utf-8")
        if not want:
            return 0.0
        pieces = self._client.post("/tokenize", json={"content": text, "with_pieces": True}).json()[
            "tokens"
        ]
        if all(isinstance(p["piece"], str) for p in pieces):
            grammar = " ".join(f"<[{p['id']}]>" for p in pieces)  # the tokenizer's own split
            n_predict = len(pieces)
        else:  # byte-fallback pieces break token-id grammars: force the characters instead
            grammar, n_predict = _gbnf_literal(text), len(want) + 1
        body = {
            "prompt": prompt, "n_predict": n_predict, "n_probs": 1, "temperature": 0.0,
            "grammar": f"root ::= {grammar}", "cache_prompt": True,
        }  # fmt: skip
        with self._request("POST", "/completion", body, deadline, stream=False) as response:
            probs = response.json().get("completion_probabilities") or []
        total, got = 0.0, b""
        for item in probs:
            if got == want:
                break
            got += bytes(item["bytes"])
            total += float(item["logprob"])
        if got != want:
            raise EngineError(f"llama-server did not reproduce the scored text ({got!r})")
        return total

    @contextmanager
    def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any],
        deadline: float | None,
        *,
        stream: bool = True,
    ) -> Iterator[httpx.Response]:
        """One HTTP exchange with the errors mapped: the deadline, a dead server, a failure."""
        check_deadline(deadline)
        if self._process.poll() is not None:
            self._stats.errors += 1
            raise EngineError(f"llama-server exited with code {self._process.returncode}")
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0.001)
        request = self._client.build_request(method, path, json=body, timeout=timeout)
        try:
            response = self._client.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise EngineDeadlineError("the deadline passed before llama-server answered") from exc
        except httpx.HTTPError as exc:
            self._stats.errors += 1
            raise EngineError(f"llama-server: {exc}") from exc
        try:
            if response.status_code != 200:
                response.read()
                self._stats.errors += 1
                raise EngineError(
                    f"llama-server: HTTP {response.status_code}: {response.text[:300]}"
                )
            yield response
        finally:
            response.close()

    def _tokenize(self, text: str, *, special: bool) -> list[int]:
        if not text:
            return []
        response = self._client.post("/tokenize", json={"content": text, "parse_special": special})
        return [int(t) for t in response.json()["tokens"]]

    def _wait_ready(self, timeout_s: float) -> None:
        limit = time.monotonic() + timeout_s
        while time.monotonic() < limit:
            if self._process.poll() is not None:
                raise EngineLoadError(
                    f"llama-server exited with code {self._process.returncode}: {self._tail()}"
                )
            try:
                if self._client.get("/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise EngineLoadError(f"llama-server not ready after {timeout_s} s: {self._tail()}")

    def _tail(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-600:].strip()


NO_CJK_GRAMMAR = r"root ::= [^\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]*"


def _gbnf_literal(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        .replace("\r", "\\r").replace("\t", "\\t")
    )  # fmt: skip
    return f'"{escaped}"'


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
