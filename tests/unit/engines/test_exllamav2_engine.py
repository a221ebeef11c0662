"""Engine C with fake torch/exllamav2 modules: the guards, and chat through its generator."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from voxnode.engines.exllamav2_engine import ExLlamaV2Config, ExLlamaV2Engine
from voxnode.engines.llm_engine import (
    ChatMessage,
    EngineLoadError,
    EngineUnavailableError,
    Sampling,
)


class FakeGenerator:
    def __init__(self, **_: Any):
        self.jobs: list[Any] = []

    def enqueue(self, job: Any) -> None:
        self.jobs.append(job)

    def num_remaining_jobs(self) -> int:
        return len(self.jobs)

    def iterate(self) -> list[dict[str, str]]:
        self.jobs.pop()
        return [{"text": "Bonjour"}, {"text": " !"}]

    def clear_queue(self) -> None:
        self.jobs.clear()


def install_fakes(monkeypatch: pytest.MonkeyPatch, *, cuda: bool) -> None:
    torch = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: cuda))
    exl2 = types.ModuleType("exllamav2")
    generator = types.ModuleType("exllamav2.generator")

    class Anything:
        def __init__(self, *args: Any, **kwargs: Any):
            self.eos_token_id = 2

        def load_autosplit(self, cache: Any) -> None: ...

        def encode(self, text: str, **_: Any) -> list[int]:
            return [1, 2, 3]

        def unload(self) -> None: ...

    for name in ("ExLlamaV2Config", "ExLlamaV2", "ExLlamaV2Cache", "ExLlamaV2Tokenizer"):
        setattr(exl2, name, Anything)
    generator.ExLlamaV2DynamicGenerator = FakeGenerator  # type: ignore[attr-defined]
    generator.ExLlamaV2DynamicJob = lambda **kw: kw  # type: ignore[attr-defined]
    generator.ExLlamaV2Sampler = types.SimpleNamespace(Settings=types.SimpleNamespace)  # type: ignore[attr-defined]
    exl2.generator = generator  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "exllamav2", exl2)
    monkeypatch.setitem(sys.modules, "exllamav2.generator", generator)


def test_without_the_runtime_the_engine_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailableError, match="not installed"):
        ExLlamaV2Engine(ExLlamaV2Config(tmp_path))


def test_without_a_gpu_the_engine_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fakes(monkeypatch, cuda=False)
    with pytest.raises(EngineUnavailableError, match="CUDA"):
        ExLlamaV2Engine(ExLlamaV2Config(tmp_path))


def test_a_folder_without_a_model_is_a_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fakes(monkeypatch, cuda=True)
    with pytest.raises(EngineLoadError, match="no EXL2 model"):
        ExLlamaV2Engine(ExLlamaV2Config(tmp_path))


def test_chat_collects_the_generator_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fakes(monkeypatch, cuda=True)
    (tmp_path / "config.json").write_text("{}")
    engine = ExLlamaV2Engine(ExLlamaV2Config(tmp_path))
    answer = engine.chat([ChatMessage("user", "Say hello in French")], Sampling(max_tokens=8))
    assert answer.text == "Bonjour !" and answer.completion_tokens == 2
    assert engine.stats().backend == "cuda"
