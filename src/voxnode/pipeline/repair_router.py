"""POST /v1/repair on the node: the repair policy (chain, trigger, merge) over the service
client.

zh -> the zh repair service; en -> en-normalize (subtype "normalize"), then the en repair
service; anything else, or nothing installed -> PASS. The trigger policy (repair_trigger)
decides whether the repair step runs at all; normalisation always does. The node keeps the
tail of each session's last sentence and sends it as micro_context. Every failure the
service client reports (not ready, timeout, error, an answer outside the contract) becomes
PASS with a reason code: repair never blocks a job.
"""

from __future__ import annotations

import collections
import time
from enum import Enum

from voxnode.contracts.languages import language_code
from voxnode.contracts.node_settings import RepairRoutingSettings
from voxnode.contracts.repair import Decision, ReasonCode, RepairRequest, RepairResponse
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.pipeline.repair_trigger import decide
from voxnode.pipeline.service_client import ServiceClient
from voxnode.pipeline.service_replies import ServiceCallError

NORMALIZE_SUBTYPE = "normalize"
MAX_SESSIONS = 2048
PASS_REASONS = {
    ReasonCode.TIMEOUT, ReasonCode.SERVICE_NOT_AVAILABLE,
    ReasonCode.NOT_INSTALLED_OR_UNSUPPORTED_LANG,
}  # fmt: skip
"""Failures reported as they are; any other is SERVICE_ERROR."""


class RepairStep(Enum):
    NORMALIZE = "normalize"
    REPAIR = "repair"

    def takes(self, spec: ServiceSpec) -> bool:
        normalizer = spec.manifest.subtype == NORMALIZE_SUBTYPE
        return normalizer if self is RepairStep.NORMALIZE else not normalizer


def repair_steps(specs: list[ServiceSpec]) -> list[RepairStep]:
    """The steps some installed service can take, in order: normalize, then repair."""
    return [step for step in RepairStep if any(step.takes(spec) for spec in specs)]


class RepairRouter:
    def __init__(self, client: ServiceClient, settings: RepairRoutingSettings):
        self._client = client
        self._settings = settings
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        """(lang, decision) -> requests answered, for /metrics."""
        self._contexts: collections.OrderedDict[str, str] = collections.OrderedDict()
        """session_id -> tail of its last sentence (bounded; oldest sessions dropped)."""

    def alternatives_below_quality(self, lang: str) -> float:
        """When the ASR should add its N-best for the language's repair to judge: under its
        trigger's quality threshold (always under `always`, never under `never`); an
        undetected language ("auto") as English."""
        trigger = self._settings.zh if language_code(lang) == "zh" else self._settings.en
        return {"always": 1.0, "never": 0.0}.get(trigger.mode, trigger.quality_threshold)

    async def repair(self, request: RepairRequest) -> RepairResponse:
        started = time.monotonic()
        lang = language_code(request.lang)
        deadline = started + (request.deadline_ms or self._settings.timeout_ms) / 1000
        steps = repair_steps(self._client.serving(ServiceType.SEMANTIC_REPAIR, [lang]))
        if not steps:
            unserved = RepairResponse.passed(
                request.text_in, ReasonCode.NOT_INSTALLED_OR_UNSUPPORTED_LANG
            )
            return self._done(lang, started, unserved)
        trigger = decide(
            lang, request.text_in, request.quality_score, request.meta,
            self._settings.zh if lang == "zh" else self._settings.en,
        )  # fmt: skip
        request = self._with_context(request, trigger.as_meta())
        text, reasons, diffs = request.text_in, list[str](), []
        decision, confidence, answered_by = Decision.PASS, 1.0, None
        for step in steps:
            if step is RepairStep.REPAIR and not trigger.fire:
                reasons.append(ReasonCode.NOT_TRIGGERED)
                continue
            try:
                reply = await self._client.call(
                    ServiceType.SEMANTIC_REPAIR, [lang],
                    request.model_copy(update={"text_in": text}), RepairResponse,
                    deadline=deadline, select=step.takes,
                )  # fmt: skip
            except ServiceCallError as exc:
                reasons.append(exc.code if exc.code in PASS_REASONS else ReasonCode.SERVICE_ERROR)
                continue
            answer = reply.body
            reasons.extend(answer.reason_codes)
            answered_by = reply.service_id
            if answer.decision is Decision.REJECT:
                decision, text, confidence = Decision.REJECT, answer.text_out, answer.confidence
                break
            if answer.decision is Decision.REPAIR and answer.text_out != text:
                diffs.extend(answer.diff)
                text, confidence = answer.text_out, min(confidence, answer.confidence)
        if decision is not Decision.REJECT:
            decision = Decision.REPAIR if text != request.text_in else Decision.PASS
            if decision is Decision.PASS:
                text, confidence = request.text_in, (confidence if answered_by else 0.0)
            self._remember(request.session_id, text)
        return self._done(
            lang,
            started,
            RepairResponse(
                decision=decision,
                text_out=text,
                confidence=confidence,
                reason_codes=list(dict.fromkeys(reasons)),
                diff=diffs,
                service_id=answered_by,
            ),
        )

    def _with_context(self, request: RepairRequest, trigger: dict[str, object]) -> RepairRequest:
        meta = {**(request.meta or {}), "trigger": trigger}
        context = request.micro_context
        if context is None and self._settings.micro_context_chars:
            context = self._contexts.get(request.session_id)
        return request.model_copy(update={"meta": meta, "micro_context": context})

    def _remember(self, session_id: str, text: str) -> None:
        if not self._settings.micro_context_chars:
            return
        self._contexts[session_id] = text[-self._settings.micro_context_chars :]
        self._contexts.move_to_end(session_id)
        while len(self._contexts) > MAX_SESSIONS:
            self._contexts.popitem(last=False)

    def _done(self, lang: str, started: float, response: RepairResponse) -> RepairResponse:
        response.process_time_ms = round((time.monotonic() - started) * 1000, 3)
        self.counts[(lang, response.decision.value)] += 1
        return response
