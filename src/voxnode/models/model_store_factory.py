"""The model store, built in one place: by the node from its settings, and in a service
process from what the supervisor passed it (VOXNODE_MODELS__*)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from voxnode.contracts.node_settings import ModelSettings, NodeSettings, default_home
from voxnode.models.http_download import DownloadPolicy
from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore


class _ServiceModels(BaseSettings):
    """What a service reads: the node's model settings (the supervisor sets them)."""

    model_config = SettingsConfigDict(
        env_prefix="VOXNODE_", env_nested_delimiter="__", extra="ignore"
    )
    models: ModelSettings = ModelSettings()


def build_model_store(root: Path, models: ModelSettings) -> ModelStore:
    policy = DownloadPolicy(
        stall_timeout_s=models.download_stall_timeout_s, attempts=models.download_attempts
    )
    catalog = ModelCatalog.load(root / "catalog.json")
    return ModelStore(root, catalog, policy=policy, pip_timeout_s=models.pip_timeout_s)


def open_model_store(settings: NodeSettings) -> ModelStore:
    """The node's store (`<home>/models` unless `models.dir` says otherwise)."""
    return build_model_store(settings.models_dir, settings.models)


def service_model_env(settings: NodeSettings) -> dict[str, str]:
    """The environment a service needs to open the node's store itself."""
    env = {"VOXNODE_MODELS__DIR": str(settings.models_dir)}
    for name, value in settings.models.model_dump(exclude={"dir"}).items():
        if value is not None:
            env[f"VOXNODE_MODELS__{name.upper()}"] = str(value)
    return env


def service_model_settings() -> ModelSettings:
    """In a service process: the node's [models] settings, as the supervisor passed them."""
    return _ServiceModels().models


def service_model_store() -> ModelStore:
    """In a service process: the node's store, from the environment the supervisor set."""
    models = service_model_settings()
    return build_model_store(models.dir or default_home() / "models", models)
