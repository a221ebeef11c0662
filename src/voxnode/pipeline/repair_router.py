"""POST /v1/repair on the node: route by language to installed semantic-repair services.

zh -> the zh repair service; en -> en-normalize (subtype "normalize"), then the en repair
service; anything else, or nothing installed -> PASS. The trigger policy (repair_trigger)
decides whether the repair step runs at all; normalisation always does. The node keeps the
tail of each session's last sentence and sends it as micro_context. Every failure (not
ready, timeout, error, bad answer) becomes PASS with a reason code: repair never blocks a
job. A stopped but installed service is started on demand, waiting at most the remaining
deadline.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import RepairRoutingSettings
from voxnode.contracts.repair import Decision, ReasonCode, RepairRequest, RepairResponse
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.contracts.service_status import ServiceState
from voxnode.pipeline.repair_trigger import decide
from voxnode.pipeline.service_host import ServiceHost

log = logging.getLogger(__name__)

NORMALIZE_SUBTYPE = "normalize"
MAX_SESSIONS = 2048


def primary_language(lang: str) -> str:
    """'zh-CN' -> 'zh', 'EN_us' -> 'en'."""
    return lang.strip().lower().replace("_", "-").split("-")[0]


def repair_chain(specs: list[ServiceSpec], lang: str) -> list[list[ServiceSpec]]:
    """The steps for `lang`, each a list of interchangeable services: normalize, then repair."""
    serving = [
        spec for spec in specs if lang in {primary_language(x) for x in spec.manifest.languages}
    ]
    normalizers = [s for s in serving if s.manifest.subtype == NORMALIZE_SUBTYPE]
    repairers = [s for s in serving if s.manifest.subtype != NORMALIZE_SUBTYPE]
    return [group for group in (normalizers, repairers) if group]


@dataclass(slots=True)
class _StepOutcome:
    response: RepairResponse | None
    reason: str | None


class RepairRouter:
    def __init__(self, host: ServiceHost, settings: RepairRoutingSettings):
        self._host = host
        self._settings = settings
        self._http = httpx.AsyncClient(trust_env=False)
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        """(lang, decision) -> requests answered, for /metrics."""
        self._contexts: collections.OrderedDict[str, str] = collections.OrderedDict()
        """session_id -> tail of its last sentence (bounded; oldest sessions dropped)."""

    async def close(self) -> None:
        await self._http.aclose()

    async def repair(self, request: RepairRequest) -> RepairResponse:
        started = time.perf_counter()
        lang = primary_language(request.lang)
        budget_s = (request.deadline_ms or self._settings.timeout_ms) / 1000
        deadline = started + budget_s
        chain = repair_chain(self._host.specs_of_type(ServiceType.SEMANTIC_REPAIR), lang)
        if not chain:
            return self._done(
                lang,
                started,
                RepairResponse.passed(
                    request.text_in, ReasonCode.NOT_INSTALLED_OR_UNSUPPORTED_LANG
                ),
            )
        trigger = decide(
            lang, request.text_in, request.quality_score, request.meta,
            self._settings.zh if lang == "zh" else self._settings.en,
        )  # fmt: skip
        request = self._with_context(request, trigger.as_meta())
        text, reasons, diffs = request.text_in, [], []
        decision, confidence, answered_by = Decision.PASS, 1.0, None
        for group in chain:
            if not trigger.fire and group[0].manifest.subtype != NORMALIZE_SUBTYPE:
                reasons.append("NOT_TRIGGERED")
                continue
            outcome = await self._run_step(
                group, request.model_copy(update={"text_in": text}), deadline
            )
            if outcome.response is None:
                reasons.append(outcome.reason or ReasonCode.SERVICE_ERROR)
                continue
            answer = outcome.response
            reasons.extend(answer.reason_codes)
            answered_by = answer.service_id
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
        if decision is not Decision.REJECT:
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

    async def _run_step(
        self, group: list[ServiceSpec], request: RepairRequest, deadline: float
    ) -> _StepOutcome:
        """Try the ready services of one step in turn, then start a stopped one on demand."""
        supervisor = self._host.supervisor
        states = {spec.service_id: supervisor.status(spec.service_id).state for spec in group}
        ready = [spec for spec in group if states[spec.service_id] is ServiceState.READY]
        reason: str = ReasonCode.SERVICE_NOT_AVAILABLE
        for spec in ready:
            outcome = await self._call(spec, request, deadline)
            if outcome.response is not None or outcome.reason == ReasonCode.TIMEOUT:
                return outcome
            reason = outcome.reason or reason
        if ready:
            return _StepOutcome(None, reason)
        # None ready: wait for one already starting, else start a stopped one on demand.
        waitable = [s for s in group if states[s.service_id] is ServiceState.STARTING] + [
            s for s in group if states[s.service_id] is ServiceState.STOPPED
        ]
        if not waitable:
            return _StepOutcome(None, ReasonCode.SERVICE_NOT_AVAILABLE)
        spec = waitable[0]
        wait_s = min(self._settings.on_demand_wait_s, deadline - time.perf_counter())
        try:
            await supervisor.ensure_ready(spec.service_id, timeout_s=max(wait_s, 0.001))
        except VoxnodeError as exc:
            log.info("repair: %s not available: %s", spec.service_id, exc.message)
            return _StepOutcome(None, ReasonCode.SERVICE_NOT_AVAILABLE)
        return await self._call(spec, request, deadline)

    async def _call(
        self, spec: ServiceSpec, request: RepairRequest, deadline: float
    ) -> _StepOutcome:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return _StepOutcome(None, ReasonCode.TIMEOUT)
        payload = request.model_dump(mode="json", exclude_none=True)
        payload["deadline_ms"] = max(1, int(remaining * 1000))
        try:
            async with (
                self._host.supervisor.lease(spec.service_id) as proc,
                asyncio.timeout(remaining),
            ):
                response = await self._http.post(proc.url + "/v1/repair", json=payload)
        except (TimeoutError, httpx.TimeoutException):
            return _StepOutcome(None, ReasonCode.TIMEOUT)
        except (httpx.HTTPError, VoxnodeError) as exc:
            log.warning("repair: %s failed: %s", spec.service_id, exc)
            return _StepOutcome(None, ReasonCode.SERVICE_ERROR)
        if response.status_code == 504:
            return _StepOutcome(None, ReasonCode.TIMEOUT)
        if response.status_code != 200:
            log.warning("repair: %s answered HTTP %s", spec.service_id, response.status_code)
            return _StepOutcome(None, ReasonCode.SERVICE_ERROR)
        try:
            answer = RepairResponse.model_validate_json(response.content)
        except ValidationError as exc:
            log.warning("repair: %s answered outside contract 3: %s", spec.service_id, exc)
            return _StepOutcome(None, ReasonCode.SERVICE_ERROR)
        if answer.decision is Decision.PASS and answer.text_out != request.text_in:
            answer = answer.model_copy(update={"text_out": request.text_in})
        return _StepOutcome(answer.model_copy(update={"service_id": spec.service_id}), None)

    def _done(self, lang: str, started: float, response: RepairResponse) -> RepairResponse:
        response.process_time_ms = round((time.perf_counter() - started) * 1000, 3)
        self.counts[(lang, response.decision.value)] += 1
        return response
