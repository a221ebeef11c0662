"""Engine A: llama.cpp in process through llama-cpp-python.

All layers go to the GPU when the build supports offload (CUDA, Metal, Vulkan), none
otherwise. One request at a time per model (a llama context is not thread-safe). With
`repack` off the weights stay in the memory-mapped file, so another process mapping the same
GGUF (llama-server, also without repacking) shares their pages: one copy in RAM for two
engines. Scoring
evaluates the shared context once, then each text after it with logits for every position;
the tokens a text shares with the one before it (N-best hypotheses) are not evaluated again.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from voxnode.engines.llm_engine import (
    ChatMessage,
    ChatResult,
    Context,
    EngineError,
    EngineHealth,
    EngineLoadError,
    EngineStats,
    EngineUnavailableError,
    Piece,
    Sampling,
    Usage,
    check_deadline,
    timed_chat,
)
from voxnode.engines.token_bans import banned_token_ids


@dataclass(frozen=True, slots=True)
class LlamaConfig:
    model_path: Path
    n_ctx: int = 2048
    n_batch: int = 512
    n_threads: int | None = None
    """None: every core."""
    gpu_layers: int | None = None
    """None: all layers when the build can offload, else 0."""
    seed: int = 0
    repack: bool = True
    """ggml's CPU weight repacking (a private copy of the weights in another layout)."""


def llama_backend() -> str:
    """The accelerator the installed llama-cpp-python was built for: cuda, metal, vulkan, cpu."""
    llama_cpp = _import_llama_cpp()
    info = llama_cpp.llama_print_system_info().decode(errors="replace").lower()
    for backend in ("cuda", "metal", "vulkan", "rocm", "sycl"):
        if backend in info:
            return backend
    return "cpu"


class LlamaCppEngine:
    name = "llama-cpp"

    def __init__(self, config: LlamaConfig):
        llama_cpp = _import_llama_cpp()
        if not config.model_path.is_file():
            raise EngineLoadError(f"no model file at {config.model_path}")
        offload = bool(llama_cpp.llama_supports_gpu_offload())
        layers = config.gpu_layers if config.gpu_layers is not None else (-1 if offload else 0)
        try:
            with _model_defaults(llama_cpp, repack=config.repack):
                self._llm: Any = llama_cpp.Llama(
                    model_path=str(config.model_path), n_ctx=config.n_ctx,
                    n_batch=config.n_batch, n_threads=config.n_threads or os.cpu_count(),
                    n_gpu_layers=layers, seed=config.seed, verbose=False,
                )  # fmt: skip
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineLoadError(f"llama.cpp could not load {config.model_path}: {exc}") from exc
        self._lock = threading.Lock()
        self._banned: dict[str, np.ndarray] = {}
        """Token ids of each ban Sampling asks for (found on first use)."""
        self._stats = EngineStats(
            engine=self.name, model=config.model_path.name, backend=llama_backend(),
            gpu_layers=layers if layers >= 0 else int(self._llm.model.n_layer()),
        )  # fmt: skip

    @property
    def raw(self) -> Any:
        """The llama_cpp.Llama underneath (benchmarks compare against it)."""
        return self._llm

    def chat(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> ChatResult:  # fmt: skip
        result = timed_chat(self.stream(messages, sampling, deadline=deadline))
        prompt = max(int(self._llm.n_tokens) - result.completion_tokens, 0)
        return replace(result, prompt_tokens=prompt)

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> Iterator[Piece]:  # fmt: skip
        chat = [{"role": m.role, "content": m.content} for m in messages]
        return self._generate(
            lambda **kw: self._llm.create_chat_completion(messages=chat, **kw), sampling, deadline
        )

    def complete(
        self, prompt: str, sampling: Sampling = Sampling(), *, deadline: float | None = None
    ) -> Iterator[Piece]:
        return self._generate(
            lambda **kw: self._llm.create_completion(prompt=prompt, **kw), sampling, deadline
        )

    def score(
        self, texts: Sequence[str], *, context: Context = "", deadline: float | None = None
    ) -> list[float]:
        llm = self._llm
        with self._lock:
            try:
                prefix = self._context_tokens(context)
                first = self._decode(prefix, 0, all_logits=False)[-1]
                results = []
                cached: list[int] = []  # the tokens after the prefix in the KV cache
                logits = first[None, :]
                for text in texts:
                    check_deadline(deadline)
                    tokens = self._tokens(text)
                    if not tokens:
                        results.append(0.0)
                        continue
                    # N-best hypotheses share beginnings: what the cache holds is not redone.
                    keep = _common_length(cached, tokens[:-1])
                    rows = self._decode(tokens[keep:-1], len(prefix) + keep, all_logits=True)
                    logits = np.vstack([logits[: keep + 1], rows])
                    cached = list(tokens[:-1])
                    results.append(_sum_logprobs(logits, tokens))
                self._stats.scored_texts += len(texts)
                return results
            except RuntimeError as exc:
                self._stats.errors += 1
                raise EngineError(f"llama.cpp scoring failed: {exc}") from exc
            finally:
                llm._ctx.kv_cache_clear()
                llm.n_tokens = 0  # the next chat evaluates its prompt from scratch

    def health(self) -> EngineHealth:
        return EngineHealth(ok=True, engine=self.name, detail=self._stats.model)

    def stats(self) -> EngineStats:
        return self._stats

    def close(self) -> None:
        with self._lock:
            self._llm.close()

    # -- internals -------------------------------------------------------------------------

    def _generate(
        self, start: Callable[..., Iterator[Any]], sampling: Sampling, deadline: float | None
    ) -> Iterator[Piece]:
        check_deadline(deadline)
        with self._lock:
            self._stats.requests += 1
            grammar = _grammar(sampling.grammar)
            bans = [self._ban_ids(ban) for ban in sampling.bans()]
            processors = [functools.partial(_ban, np.concatenate(bans))] if bans else None
            chunks = start(
                max_tokens=sampling.max_tokens, temperature=sampling.temperature,
                top_p=sampling.top_p, stop=list(sampling.stop) or None, seed=sampling.seed,
                stream=True, grammar=grammar, logits_processor=processors,
            )  # fmt: skip
            produced, finish = 0, None
            try:
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    piece = (choice.get("delta") or {}).get("content") or choice.get("text") or ""
                    finish = choice.get("finish_reason") or finish
                    if piece:
                        produced += 1
                        yield Piece(piece)
                    check_deadline(deadline)
                prompt = max(int(self._llm.n_tokens) - produced, 0)
                yield Piece("", finish_reason=finish or "stop", usage=Usage(prompt, produced))
            except RuntimeError as exc:
                self._stats.errors += 1
                raise EngineError(f"llama.cpp generation failed: {exc}") from exc
            finally:
                chunks.close()  # type: ignore[attr-defined]
                self._stats.completion_tokens += produced
                self._stats.prompt_tokens += max(int(self._llm.n_tokens) - produced, 0)

    def _ban_ids(self, ban: str) -> np.ndarray:
        if ban not in self._banned:
            llm = self._llm
            ids = banned_token_ids(lambda t: bytes(llm.detokenize([t])), int(llm.n_vocab()), ban)
            self._banned[ban] = np.asarray(ids, int)
        return self._banned[ban]

    def _tokens(self, text: str) -> list[int]:
        if not text:
            return []
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _context_tokens(self, context: Context) -> list[int]:
        """Raw text after the start token, or chat messages through the model's own chat
        template (the GGUF's, else ChatML) with the assistant's turn opened, as `chat` asks."""
        if isinstance(context, str):
            return [self._start_token(), *self._tokens(context)]
        llm = self._llm
        template = llm.metadata.get("tokenizer.chat_template") or CHATML
        rendered = _chat_formatter(template, llm)(
            messages=[{"role": m.role, "content": m.content} for m in context]
        )
        tokens = llm.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        return list(tokens) or [self._start_token()]

    def _start_token(self) -> int:
        bos = int(self._llm.token_bos())
        return bos if bos >= 0 else int(self._llm.token_eos())

    def _decode(self, tokens: Sequence[int], n_past: int, *, all_logits: bool) -> np.ndarray:
        """Evaluate tokens after position n_past; logits of every position, or of the last."""
        llm = self._llm
        n_vocab = int(llm.n_vocab())
        llm._ctx.kv_cache_seq_rm(-1, n_past, -1)
        rows: list[np.ndarray] = []
        step = int(llm.n_batch)
        for start in range(0, len(tokens), step):
            batch = list(tokens[start : start + step])
            llm._batch.set_batch(batch=batch, n_past=n_past + start, logits_all=all_logits)
            llm._ctx.decode(llm._batch)
            count = len(batch) if all_logits else 1
            out = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(count * n_vocab,))
            rows.append(out.reshape(count, n_vocab).copy())
        if not rows:
            return np.empty((0, n_vocab), dtype=np.float32)
        return np.vstack(rows) if all_logits else rows[-1]


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""The template for a GGUF that carries none (the one exllamav2_engine speaks)."""


def _chat_formatter(template: str, llm: Any) -> Any:
    llama_cpp = _import_llama_cpp()
    model = llm._model
    eos, bos = int(llm.token_eos()), int(llm.token_bos())
    return llama_cpp.llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=model.token_get_text(eos) if eos >= 0 else "",
        bos_token=model.token_get_text(bos) if bos >= 0 else "",
    )


def _sum_logprobs(logits: np.ndarray, tokens: Sequence[int]) -> float:
    """Sum over rows of log_softmax(row)[token]: row i predicts tokens[i]."""
    peak = logits.max(axis=1, keepdims=True)
    log_norm = peak[:, 0] + np.log(np.exp(logits - peak).sum(axis=1))
    chosen = logits[np.arange(len(tokens)), np.asarray(tokens)]
    return float((chosen - log_norm).sum())


def _common_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@functools.lru_cache(maxsize=32)
def _grammar(text: str | None) -> Any:
    if text is None:
        return None
    llama_cpp = _import_llama_cpp()
    try:
        return llama_cpp.LlamaGrammar.from_string(text, verbose=False)
    except ValueError as exc:
        raise EngineError(f"bad grammar: {exc}") from exc


@contextmanager
def _model_defaults(llama_cpp: Any, *, repack: bool) -> Iterator[None]:
    """llama-cpp-python builds its model parameters from llama_model_default_params();
    `use_extra_bufts` (repacking) is not one of its arguments, so it is set there."""
    if repack:
        yield
        return
    binding = llama_cpp.llama_cpp  # the module llama.py calls it through
    original = binding.llama_model_default_params

    def defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    with _DEFAULTS_LOCK:
        binding.llama_model_default_params = defaults
        try:
            yield
        finally:
            binding.llama_model_default_params = original


_DEFAULTS_LOCK = threading.Lock()


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise EngineUnavailableError(
            "llama-cpp-python is not installed (pip install 'voxnode[llm]')"
        ) from exc
    return llama_cpp


def _ban(banned: np.ndarray, _ids: Any, scores: np.ndarray) -> np.ndarray:
    scores[banned] = -np.inf
    return scores
