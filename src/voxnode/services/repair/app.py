"""python -m voxnode.services.repair: semantic repair for one language (VOXNODE_REPAIR_LANG)."""

from __future__ import annotations

from fastapi import FastAPI

from voxnode.models.model_store import ModelStore
from voxnode.models.model_store_factory import service_model_store
from voxnode.services.common.repair_app import create_repair_app
from voxnode.services.repair.en_service import EnRepairService
from voxnode.services.repair.settings import RepairSettings
from voxnode.services.repair.zh_service import ZhRepairService


def build_app(
    settings: RepairSettings | None = None, *, store: ModelStore | None = None
) -> FastAPI:
    settings = settings or RepairSettings()
    store = store or service_model_store()
    service = (
        ZhRepairService(settings, store=store)
        if settings.lang == "zh"
        else EnRepairService(settings, store=store)
    )
    return create_repair_app(service, settings)
