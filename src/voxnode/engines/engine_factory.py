"""Build the engine a service asks for from one settings object (parameters only)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from voxnode.engines.engine_chain import EngineChain, EngineFactory, engine_order
from voxnode.engines.llm_engine import EngineUnavailableError, LlmEngine
from voxnode.engines.openai_engine import OpenAiConfig, OpenAiEngine


class EngineSettings(BaseModel):
    engine: str = "auto"
    """auto (seed order with fallback), llama-cpp, llama-server or exllamav2; or node: the
    model the node hosts, through its OpenAI face at `node_url` (one copy for everyone)."""
    node_url: str | None = None
    """The node's address (the supervisor passes it to services as VOXNODE_NODE_URL)."""
    node_model: str = "default"
    """The model asked of the node."""
    n_ctx: int = Field(2048, ge=256)
    n_threads: int | None = Field(None, ge=1)
    """None: every core."""
    gpu_layers: int | None = None
    """None: all layers when a GPU build is present, else 0."""
    server_parallel: int = Field(4, ge=1)
    """llama-server slots (scored texts decode together)."""
    server_binary: Path | None = None
    exl2_model_dir: Path | None = None
    """An EXL2 folder for engine C; without one engine C is skipped."""
    repack: bool = True
    """ggml's CPU weight repacking. Off, engines A and B read the weights from the mapped
    file, so two of them on one model share one copy in RAM."""


def build_engine(model_path: Path | None, settings: EngineSettings) -> EngineChain:
    """The engine chain `settings.engine` names; the node engine needs no model file."""
    if settings.engine == NODE_ENGINE:
        return EngineChain([(NODE_ENGINE, lambda: node_engine(settings))])
    if model_path is None:
        raise EngineUnavailableError(f"engine '{settings.engine}' needs a model file")

    # each engine's module is imported only when it is built: a service's venv holds the
    # libraries of the engines it uses, not all of them (Plan D)
    def engine_a() -> LlmEngine:
        from voxnode.engines.llama_cpp_engine import LlamaConfig, LlamaCppEngine

        config = LlamaConfig(
            model_path, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
            gpu_layers=settings.gpu_layers, repack=settings.repack,
        )  # fmt: skip
        return LlamaCppEngine(config)

    def engine_b() -> LlmEngine:
        from voxnode.engines.llama_server_engine import LlamaServerConfig, LlamaServerEngine

        config = LlamaServerConfig(
            model_path, binary=settings.server_binary, n_ctx=settings.n_ctx,
            parallel=settings.server_parallel, n_threads=settings.n_threads,
            gpu_layers=999 if settings.gpu_layers is None else settings.gpu_layers,
            repack=settings.repack,
        )  # fmt: skip
        return LlamaServerEngine(config)

    def engine_c() -> LlmEngine:
        from voxnode.engines.exllamav2_engine import ExLlamaV2Config, ExLlamaV2Engine

        if settings.exl2_model_dir is None:
            raise EngineUnavailableError("no EXL2 model configured (exl2_model_dir)")
        return ExLlamaV2Engine(ExLlamaV2Config(settings.exl2_model_dir, settings.n_ctx))

    makers: dict[str, EngineFactory] = {
        "llama-cpp": engine_a, "llama-server": engine_b, "exllamav2": engine_c,
    }  # fmt: skip
    return EngineChain([(name, makers[name]) for name in engine_order(settings.engine)])


NODE_ENGINE = "node"


def node_engine(settings: EngineSettings) -> OpenAiEngine:
    url = settings.node_url or os.environ.get("VOXNODE_NODE_URL")
    if not url:
        raise EngineUnavailableError(
            "engine 'node' needs the node's address (VOXNODE_NODE_URL; the node sets it for "
            "the services it runs)"
        )
    token = os.environ.get("VOXNODE_NODE_TOKEN") or None  # the node's per-run token for us
    return OpenAiEngine(
        OpenAiConfig(url.rstrip("/") + "/v1", model=settings.node_model, api_key=token)
    )
