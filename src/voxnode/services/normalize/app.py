"""en-normalize as a service: POST /v1/repair answers REPAIR when the rules changed the
text. Per request, `meta.normalize` may switch options off ({"normalize_numbers": false})."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from fastapi import FastAPI

from voxnode.contracts.repair import Decision, RepairRequest, RepairResponse
from voxnode.services.common.repair_app import create_repair_app
from voxnode.services.common.text_diff import diff_items
from voxnode.services.normalize.engine import EnNormalizer, request_options
from voxnode.services.normalize.settings import NormalizeSettings


class NormalizeRepairer:
    name = "en-normalize"

    def __init__(self, settings: NormalizeSettings):
        self._settings = settings
        self._normalizer = EnNormalizer(options=settings.options)

    def load(self) -> None:
        """Rules only: nothing to read."""

    def warm_up_request(self) -> RepairRequest:
        return RepairRequest(
            job_id="warm-up", session_id="warm-up", lang="en",
            text_in="i paid twenty five dollars for the gpu on june first",
        )  # fmt: skip

    def repair(
        self, request: RepairRequest, *, protected: list[str], deadline: float
    ) -> RepairResponse:
        started = time.monotonic()
        options = request_options(self._normalizer.options, request.meta)
        result = self._normalizer.normalize(request.text_in, glossary=protected, options=options)
        changed = result.text != request.text_in
        return RepairResponse(
            decision=Decision.REPAIR if changed else Decision.PASS,
            text_out=result.text,
            confidence=1.0,
            reason_codes=result.reason_codes,
            diff=diff_items(request.text_in, result.text) if changed else [],
            process_time_ms=round((time.monotonic() - started) * 1000, 3),
        )

    def info(self) -> dict[str, Any]:
        return {"engine": "rules", "options": dataclasses.asdict(self._normalizer.options)}


def build_app() -> FastAPI:
    settings = NormalizeSettings()
    return create_repair_app(NormalizeRepairer(settings), settings)
