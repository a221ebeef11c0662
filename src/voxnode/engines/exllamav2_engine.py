"""Engine C (Plan C): ExLlamaV2 with EXL2 4-bit weights, GPU only.

Meant to run inside its own isolated environment (Plan D: torch and exllamav2 never share
site-packages with the node); the import is guarded so that the node runs without it.
Scoring is one forward pass per text over context + text, reading log-softmax at each
text position. Chat uses the ChatML template (Qwen's).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from voxnode.engines.llm_engine import (
    ChatMessage,
    ChatResult,
    Context,
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


@dataclass(frozen=True, slots=True)
class ExLlamaV2Config:
    model_dir: Path
    """An EXL2 folder (config.json, *.safetensors, tokenizer)."""
    max_seq_len: int = 2048


class ExLlamaV2Engine:
    name = "exllamav2"

    def __init__(self, config: ExLlamaV2Config):
        torch, exl2, generator_mod = _import_runtime()
        if not torch.cuda.is_available():
            raise EngineUnavailableError("ExLlamaV2 needs a CUDA GPU; none is visible")
        if not (config.model_dir / "config.json").is_file():
            raise EngineLoadError(f"no EXL2 model at {config.model_dir}")
        self._torch = torch
        try:
            model_config = exl2.ExLlamaV2Config(str(config.model_dir))
            model_config.max_seq_len = config.max_seq_len
            self._model = exl2.ExLlamaV2(model_config)
            self._cache = exl2.ExLlamaV2Cache(
                self._model, max_seq_len=config.max_seq_len, lazy=True
            )
            self._model.load_autosplit(self._cache)
            self._tokenizer = exl2.ExLlamaV2Tokenizer(model_config)
            self._generator = generator_mod.ExLlamaV2DynamicGenerator(
                model=self._model, cache=self._cache, tokenizer=self._tokenizer
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise EngineLoadError(f"ExLlamaV2 could not load {config.model_dir}: {exc}") from exc
        self._settings_cls = generator_mod.ExLlamaV2Sampler.Settings
        self._lock = threading.Lock()
        self._stats = EngineStats(
            engine=self.name, model=config.model_dir.name, backend="cuda", gpu_layers=-1
        )

    def chat(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> ChatResult:  # fmt: skip
        result = timed_chat(self.stream(messages, sampling, deadline=deadline))
        finish = "length" if result.completion_tokens >= sampling.max_tokens else "stop"
        return replace(result, finish_reason=finish)

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> Iterator[Piece]:  # fmt: skip
        return self.complete(_chatml(messages), sampling, deadline=deadline)

    def complete(
        self, prompt: str, sampling: Sampling = Sampling(), *, deadline: float | None = None
    ) -> Iterator[Piece]:
        from exllamav2.generator import ExLlamaV2DynamicJob  # type: ignore[import-not-found]

        check_deadline(deadline)
        settings = self._settings_cls()
        settings.temperature = sampling.temperature
        settings.top_p = sampling.top_p
        if sampling.temperature == 0.0:
            settings.top_k = 1
        ids = self._tokenizer.encode(prompt, add_bos=False, encode_special_tokens=True)
        job = ExLlamaV2DynamicJob(
            input_ids=ids, max_new_tokens=sampling.max_tokens, gen_settings=settings,
            stop_conditions=[self._tokenizer.eos_token_id, *sampling.stop],
            seed=sampling.seed,
        )  # fmt: skip
        produced = 0
        with self._lock:
            self._stats.requests += 1
            self._generator.enqueue(job)
            try:
                while self._generator.num_remaining_jobs():
                    for result in self._generator.iterate():
                        piece = result.get("text", "")
                        if piece:
                            produced += 1
                            self._stats.completion_tokens += 1
                            yield Piece(piece)
                    check_deadline(deadline)
            finally:
                self._generator.clear_queue()
        finish = "length" if produced >= sampling.max_tokens else "stop"
        prompt_tokens = int(ids.shape[-1]) if hasattr(ids, "shape") else len(ids)
        yield Piece("", finish_reason=finish, usage=Usage(prompt_tokens, produced))

    def score(
        self, texts: Sequence[str], *, context: Context = "", deadline: float | None = None
    ) -> list[float]:
        torch = self._torch
        if isinstance(context, str):
            prefix = self._tokenizer.encode(context, add_bos=True) if context else None
        else:  # the template and the tokens chat() speaks
            prefix = self._tokenizer.encode(
                _chatml(context), add_bos=False, encode_special_tokens=True
            )
        results = []
        with self._lock, torch.inference_mode():
            for text in texts:
                check_deadline(deadline)
                ids = self._tokenizer.encode(text, add_bos=prefix is None)
                full = ids if prefix is None else torch.cat([prefix, ids], dim=-1)
                logits = self._model.forward(full).float()  # no cache: one full pass
                logprobs = torch.log_softmax(logits[0, :-1], dim=-1)
                targets = full[0, 1:]
                start = full.shape[-1] - ids.shape[-1] - 1
                picked = logprobs[start:].gather(
                    -1, targets[start:].unsqueeze(-1).to(logprobs.device)
                )
                results.append(float(picked.sum()))
        self._stats.scored_texts += len(texts)
        return results

    def health(self) -> EngineHealth:
        return EngineHealth(True, self.name, self._stats.model)

    def stats(self) -> EngineStats:
        return self._stats

    def close(self) -> None:
        with self._lock:
            self._model.unload()


def _chatml(messages: Sequence[ChatMessage]) -> str:
    turns = "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


def _import_runtime() -> tuple[Any, Any, Any]:
    try:
        import exllamav2  # type: ignore[import-not-found]
        import exllamav2.generator
        import torch  # type: ignore[import-not-found]
    except ImportError as exc:
        raise EngineUnavailableError(
            "ExLlamaV2 is not installed here (it runs in its own venv with torch and CUDA)"
        ) from exc
    return torch, exllamav2, exllamav2.generator
