"""python -m voxnode.services.repair: semantic repair for one language (VOXNODE_REPAIR_LANG)."""

from __future__ import annotations

from fastapi import FastAPI

from voxnode.services.common.repair_app import create_repair_app
from voxnode.services.repair.en_service import EnRepairService
from voxnode.services.repair.settings import RepairSettings
from voxnode.services.repair.zh_service import ZhRepairService


def build_app(settings: RepairSettings | None = None) -> FastAPI:
    settings = settings or RepairSettings()
    service = ZhRepairService(settings) if settings.lang == "zh" else EnRepairService(settings)
    return create_repair_app(service, settings)
