"""The node's model store, built from its settings (one place for the wiring)."""

from __future__ import annotations

from voxnode.contracts.node_settings import NodeSettings
from voxnode.models.http_download import DownloadPolicy
from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore


def open_model_store(settings: NodeSettings) -> ModelStore:
    root = settings.models_dir
    policy = DownloadPolicy(
        stall_timeout_s=settings.models.download_stall_timeout_s,
        attempts=settings.models.download_attempts,
    )
    catalog = ModelCatalog.load(root / "catalog.json")
    return ModelStore(root, catalog, policy=policy, pip_timeout_s=settings.models.pip_timeout_s)
