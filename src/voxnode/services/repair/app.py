"""python -m voxnode.services.repair: semantic repair for one language (VOXNODE_REPAIR_LANG).

Each language's service is imported only where it runs: English repair's venv has none of the
Chinese libraries (jieba, pypinyin, KenLM), and the other way round.
"""

from __future__ import annotations

from fastapi import FastAPI

from voxnode.models.model_store import ModelStore
from voxnode.models.model_store_factory import service_model_store
from voxnode.services.common.repair_app import create_repair_app
from voxnode.services.repair.settings import RepairSettings


def build_app(
    settings: RepairSettings | None = None, *, store: ModelStore | None = None
) -> FastAPI:
    settings = settings or RepairSettings()
    store = store or service_model_store()
    if settings.lang == "zh":
        from voxnode.services.repair.zh_service import ZhRepairService

        return create_repair_app(ZhRepairService(settings, store=store), settings)
    from voxnode.services.repair.en_service import EnRepairService

    return create_repair_app(EnRepairService(settings, store=store), settings)
