"""en-normalize settings (VOXNODE_REPAIR_*), on top of the shared repair settings; the
rules' options are passed whole (VOXNODE_REPAIR_OPTIONS__NORMALIZE_NUMBERS=true, ...)."""

from __future__ import annotations

from voxnode.services.common.repair_settings import RepairServiceSettings
from voxnode.services.normalize.engine import NormalizeOptions


class NormalizeSettings(RepairServiceSettings):
    options: NormalizeOptions = NormalizeOptions()
    max_concurrency: int = 8
