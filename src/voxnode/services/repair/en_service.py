"""semantic-repair-en: normalise, then (when triggered) LLM-judged repair, behind the
shared app. The engine comes from the engine layer (seed 000 section 6 order by default)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from voxnode.contracts.repair import Decision, ReasonCode, RepairRequest, RepairResponse
from voxnode.engines.engine_factory import NODE_ENGINE, EngineSettings, build_engine
from voxnode.engines.llm_engine import LlmEngine
from voxnode.models.model_store import ModelStore
from voxnode.services.common.text_diff import diff_items
from voxnode.services.normalize.engine import EnNormalizer, request_options
from voxnode.services.repair.en_repairer import EnRepairer
from voxnode.services.repair.settings import RepairSettings


class EnRepairService:
    name = "semantic-repair-en"

    def __init__(
        self,
        settings: RepairSettings,
        *,
        store: ModelStore | None = None,
        engine: LlmEngine | None = None,
    ):
        self._settings = settings
        self._store = store
        self._engine = engine
        self._normalizer = EnNormalizer()
        self._repairer: EnRepairer | None = None
        self._model_path: str | None = None

    def load(self) -> None:
        s = self._settings
        if self._engine is None:
            engine = EngineSettings(
                engine=s.engine, n_threads=s.n_threads, n_ctx=1024, node_model=s.llm_model
            )
            model = None
            if s.engine != NODE_ENGINE:
                assert self._store is not None, "give an engine or a model store"
                model = self._store.pull(s.llm_model)
            self._model_path = str(model or s.llm_model)
            self._engine = build_engine(model, engine)
        self._repairer = EnRepairer(self._engine, s.en)

    def warm_up_request(self) -> RepairRequest:
        return RepairRequest(
            job_id="warm-up", session_id="warm-up", lang="en", quality_score=0.3,
            text_in="i want to by a ticket for the meeting on wensday",
        )  # fmt: skip

    def repair(
        self, request: RepairRequest, *, protected: list[str], deadline: float
    ) -> RepairResponse:
        assert self._repairer is not None
        outcome = self._repairer.repair(
            request.text_in, quality=request.quality_score, meta=request.meta or {},
            context=request.micro_context or "", glossary=protected, deadline=deadline,
        )  # fmt: skip
        chosen = request.text_in if outcome.source is None else outcome.text
        options = request_options(self._normalizer.options, request.meta)
        normalized = self._normalizer.normalize(chosen, glossary=protected, options=options)
        reasons = [*outcome.triggered, *normalized.reason_codes]
        reasons += [
            f"{ReasonCode.CANDIDATE_REJECTED}:{why}"
            for why in sorted(set(outcome.rejected.values()))
        ]
        if outcome.source:
            reasons.append(ReasonCode.LLM_REPAIR_APPLIED)
        elif outcome.triggered:
            reasons.append(ReasonCode.NO_CONFIDENT_REPAIR)
        if normalized.text == request.text_in:
            return RepairResponse(
                decision=Decision.PASS, text_out=request.text_in, confidence=1.0,
                reason_codes=reasons,
            )  # fmt: skip
        confidence = (
            1.0
            if outcome.gain is None or not outcome.source
            else min(0.99, 0.5 + outcome.gain / 10)
        )
        return RepairResponse(
            decision=Decision.REPAIR,
            text_out=normalized.text,
            confidence=round(confidence, 3),
            reason_codes=reasons,
            diff=diff_items(request.text_in, normalized.text),
        )

    def info(self) -> dict[str, Any]:
        engine = self._engine
        return {
            "engine": type(engine).__name__,
            "model": self._model_path,
            "health": asdict(engine.health()) if engine else None,
            "policy": self._repairer.policy.model_dump() if self._repairer else None,
        }
