"""en-normalize settings (VOXNODE_NORMALIZE_*), on top of the shared repair settings."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from voxnode.services.common.repair_settings import RepairServiceSettings
from voxnode.services.normalize.engine import NormalizeOptions


class NormalizeSettings(RepairServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VOXNODE_REPAIR_", extra="ignore")

    normalize_numbers: bool = True
    sentence_case: bool = True
    acronyms: bool = True
    spoken_addresses: bool = True
    max_concurrency: int = 8

    def options(self) -> NormalizeOptions:
        return NormalizeOptions(
            normalize_numbers=self.normalize_numbers,
            sentence_case=self.sentence_case,
            acronyms=self.acronyms,
            spoken_addresses=self.spoken_addresses,
        )
