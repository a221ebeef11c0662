"""Real models for engine tests, pulled once into the shared test model cache
(voxnode.testing.test_models: `VOXNODE_TEST_MODELS` moves it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voxnode.engines.llama_cpp_engine import LlamaConfig, LlamaCppEngine
from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore
from voxnode.testing.test_models import DEFAULT, SMALL, models_cache_dir


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
