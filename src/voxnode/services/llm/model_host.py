"""The models the host holds: named by catalog id, pulled and loaded on the first request
that names them, unloaded after their keep-alive, admitted against free memory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from voxnode.contracts.errors import NotFoundError
from voxnode.contracts.node_settings import ModelSettings
from voxnode.contracts.openai import DEFAULT_MODEL, HostedModelView, HostStatus
from voxnode.models.memory_probe import free_vram_mb
from voxnode.models.model_catalog import ModelKind
from voxnode.models.model_residency import ModelResidency, ResidencyPolicy, ResidentInfo
from voxnode.models.model_store import ModelStore
from voxnode.services.llm.hosted_model import HostedModel, need_mb
from voxnode.services.llm.settings import LlmHostSettings

SWEEP_INTERVAL_S = 1.0


class UnknownModelError(NotFoundError):
    code = "MODEL_NOT_FOUND"


@dataclass
class ModelHost:
    settings: LlmHostSettings
    models: ModelSettings
    store: ModelStore

    def __post_init__(self) -> None:
        policy = ResidencyPolicy(
            idle_ttl_s=self.models.idle_ttl_s, reserve_mb=self.models.memory_reserve_mb,
            budget_mb=self.models.memory_budget_mb,
        )  # fmt: skip
        self.residency = ModelResidency(policy=policy)
        self.gpu = free_vram_mb() is not None
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def start(self) -> None:
        self._sweeper = self.residency.run_sweeper(self._stop, SWEEP_INTERVAL_S)

    def close(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
        self.residency.close()

    def resolve(self, name: str) -> str:
        """A catalog id of an LLM; "default" (or nothing) is the default model."""
        wanted = self.settings.default_model if name in ("", DEFAULT_MODEL) else name
        llms = {e.name for e in self.store.catalog.entries() if e.kind is ModelKind.LLM}
        if wanted not in llms:
            raise UnknownModelError(
                f"no LLM '{name}' in the catalog (known: {', '.join(sorted(llms))})"
            )
        return wanted

    @contextmanager
    def use(self, name: str, *, keep_alive_s: float | None = None) -> Iterator[HostedModel]:
        """The model, loaded (and pulled) first if needed; blocking."""
        key = self.resolve(name)
        path = self.store.pull(key)
        on_gpu = self.gpu and self.settings.gpu_layers != 0
        with self.residency.use(
            key,
            lambda: HostedModel.load(key, path, self.settings, gpu=on_gpu),
            need_mb=need_mb(path, self.settings),
            on_gpu=on_gpu,
            keep_alive_s=keep_alive_s,
        ) as model:
            yield model

    def unload(self, name: str) -> bool:
        return self.residency.unload(self.resolve(name))

    def status(self) -> HostStatus:
        views = []
        for info in self.residency.loaded():
            model = self.residency.peek(info.key)
            if isinstance(model, HostedModel):
                views.append(_view(model, info))
        return HostStatus(
            models=views, default_model=self.settings.default_model,
            idle_ttl_s=self.models.idle_ttl_s,
        )  # fmt: skip


def _view(model: HostedModel, info: ResidentInfo) -> HostedModelView:
    return HostedModelView(
        name=info.key, engine=model.engine_name, loaded_at=model.loaded_at,
        idle_s=round(info.idle_s, 1),
        expires_in_s=None if info.expires_in_s is None else round(info.expires_in_s, 1),
        in_use=info.in_use, memory_mb=model.memory_mb(), pids=model.pids(),
        details={
            "scorer_loaded": model.scorer_loaded, "admitted_mb": info.need_mb,
            "server_url": model.server_url(),
        },
    )  # fmt: skip
