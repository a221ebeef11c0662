"""semantic-repair-zh: the Repairer behind the shared app (contract 3 in, ZhRepairer inside)."""

from __future__ import annotations

from typing import Any

from voxnode.contracts.repair import Decision, ReasonCode, RepairRequest, RepairResponse
from voxnode.engines.engine_factory import NODE_ENGINE, EngineSettings, build_engine
from voxnode.engines.llm_engine import LlmEngine
from voxnode.models.memory_probe import on_here
from voxnode.models.model_store import ModelStore
from voxnode.services.common.text_diff import diff_items
from voxnode.services.repair.settings import RepairSettings
from voxnode.services.repair.zh_lexicon import ZhLexicon
from voxnode.services.repair.zh_repairer import ZhRepairer


class ZhRepairService:
    name = "semantic-repair-zh"

    def __init__(
        self, settings: RepairSettings, *, store: ModelStore, judge: LlmEngine | None = None
    ):
        self._settings = settings
        self._store = store
        self._judge = judge
        self._repairer: ZhRepairer | None = None
        self._files: dict[str, str] = {}

    def load(self) -> None:
        settings = self._settings
        lexicon = ZhLexicon.pulled(self._store, settings.zh_lm_model, settings.zh_lexicon_model)
        lexicon.load()
        self._repairer = ZhRepairer(lexicon, settings.zh, judge=self._llm_judge())
        self._files = {"lm": str(lexicon.lm_path), "confusions": str(lexicon.same_pinyin_path)}

    def _llm_judge(self) -> LlmEngine | None:
        """The node's LLM (its /v1/score) as the gray zone's judge: when asked, or on a
        machine with an NVIDIA GPU (ZhMargins.llm_judge)."""
        s = self._settings
        wanted = on_here(s.zh.llm_judge)
        if self._judge is not None or not wanted:
            return self._judge if wanted else None
        return build_engine(None, EngineSettings(engine=NODE_ENGINE, node_model=s.llm_model))

    def warm_up_request(self) -> RepairRequest:
        return RepairRequest(
            job_id="warm-up", session_id="warm-up", lang="zh", text_in="我们在会议是开会"
        )

    def repair(
        self, request: RepairRequest, *, protected: list[str], deadline: float
    ) -> RepairResponse:
        assert self._repairer is not None
        context = (request.micro_context or "")[-self._settings.micro_context_chars :]
        nbest = (request.meta or {}).get("nbest")
        heard = [h for h in nbest if isinstance(h, str)] if isinstance(nbest, list) else []
        outcome = self._repairer.repair(
            request.text_in, context=context, protected=protected, deadline=deadline,
            alternatives=heard,
        )  # fmt: skip
        reasons: list[str] = []
        if outcome.simplified:
            reasons.append(ReasonCode.TRADITIONAL_TO_SIMPLIFIED)
        if outcome.edits:
            reasons.append(ReasonCode.HOMOPHONE_REPAIRED)
        if outcome.abstained:
            reasons.append(ReasonCode.UNCERTAIN_LEFT_UNCHANGED)
        if context:
            reasons.append(ReasonCode.MICRO_CONTEXT_USED)
        if outcome.text == request.text_in:
            return RepairResponse(
                decision=Decision.PASS, text_out=request.text_in, confidence=1.0,
                reason_codes=reasons,
            )  # fmt: skip
        gain = min((e.gain for e in outcome.edits), default=10.0)
        return RepairResponse(
            decision=Decision.REPAIR,
            text_out=outcome.text,
            confidence=round(min(0.99, 0.5 + gain / 20), 3),
            reason_codes=reasons,
            diff=diff_items(request.text_in, outcome.text),
        )

    def info(self) -> dict[str, Any]:
        return {
            "engine": "kenlm+pinyin"
            + ("+llm-judge" if self._repairer and self._repairer.judge else ""),
            "files": self._files,
            "margins": self._repairer.margins.model_dump() if self._repairer else None,
        }
