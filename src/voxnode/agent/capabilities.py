"""What this node can do, computed from its installed services and their states.

Languages come from the packages' manifests and count only while the service is ready: a
language pair is offered when a ready ASR hears the source and a ready translator carries it
to the target; a ready TTS speaking the target makes it speech-out. Nothing is guessed from
service ids.
"""

from __future__ import annotations

from voxnode.contracts.scheduler_messages import (
    CapabilityByType,
    InstalledModel,
    InstalledService,
    LanguageCapabilities,
    LanguagePair,
)
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_status import ServiceState, ServiceStatus
from voxnode.models.model_store import ModelState

LINGUA_TYPES = {
    ServiceType.ASR: "asr", ServiceType.NMT: "nmt", ServiceType.TTS: "tts",
    ServiceType.SEMANTIC_REPAIR: "semantic", ServiceType.TONE: "tone",
}  # fmt: skip
"""Our service types in lingua's words; llm and embedding have none and are reported as is."""
REPORTED_TYPES = ("asr", "semantic", "nmt", "tts")
"""capability_by_type always lists these, installed or not."""


def lingua_type(service_type: ServiceType) -> str:
    return LINGUA_TYPES.get(service_type, service_type.value)


def installed_services(statuses: list[ServiceStatus], has_gpu: bool) -> list[InstalledService]:
    return [
        InstalledService(
            service_id=s.service_id,
            type=lingua_type(s.type),
            device="gpu" if s.device == "gpu" or (s.device == "auto" and has_gpu) else "cpu",
            status=_lingua_status(s.state),
            version=s.version,
            model_id=s.model_id,
            warmup_ms=round(s.startup_seconds * 1000) if s.startup_seconds is not None else None,
            last_error=s.last_error,
            languages=s.languages,
        )
        for s in statuses
    ]


def capability_by_type(statuses: list[ServiceStatus]) -> list[CapabilityByType]:
    types = list(REPORTED_TYPES) + sorted(
        {lingua_type(s.type) for s in statuses} - set(REPORTED_TYPES)
    )
    capabilities = []
    for kind in types:
        installed = [s for s in statuses if lingua_type(s.type) == kind]
        ready = [s.service_id for s in installed if s.state is ServiceState.READY]
        reason = None if ready else ("no_running_impl" if installed else "no_impl")
        capabilities.append(
            CapabilityByType(type=kind, ready=bool(ready), reason=reason, ready_impl_ids=ready)
        )
    return capabilities


def language_capabilities(statuses: list[ServiceStatus]) -> LanguageCapabilities:
    ready = [s for s in statuses if s.state is ServiceState.READY]

    def languages(kind: ServiceType) -> set[str]:
        return {lang for s in ready if s.type is kind for lang in s.languages}

    heard, spoken = languages(ServiceType.ASR), languages(ServiceType.TTS)
    carried = {
        (src, tgt)
        for s in ready if s.type is ServiceType.NMT
        for src in s.languages for tgt in s.languages if src != tgt
    }  # fmt: skip
    pairs = sorted((src, tgt) for src, tgt in carried if src in heard)
    repairers = [s for s in ready if s.type is ServiceType.SEMANTIC_REPAIR]
    return LanguageCapabilities(
        asr_languages=sorted({src for src, _ in pairs}),
        tts_languages=sorted(spoken),
        semantic_languages=sorted({tgt for _, tgt in pairs}),
        semantic_core_ready=bool(repairers),
        repair_languages=sorted({lang for s in repairers for lang in s.languages}),
        pairs=[LanguagePair(src=src, tgt=tgt, speech_out=tgt in spoken) for src, tgt in pairs],
    )


def installed_models(states: list[ModelState]) -> list[InstalledModel]:
    """Pulled models; the version is the start of the first file's sha256."""
    models = []
    for state in states:
        if not state.present:
            continue
        entry = state.entry
        languages = entry.languages
        models.append(
            InstalledModel(
                model_id=entry.name,
                kind=entry.kind.value,
                src_lang=languages[0] if len(languages) == 1 else None,
                version=(entry.files[0].sha256 or "unverified")[:12],
            )
        )
    return models


def _lingua_status(state: ServiceState) -> str:
    if state is ServiceState.READY:
        return "running"
    return "error" if state is ServiceState.FAILED else "stopped"
