"""Capabilities come from ready services' manifests, not from their names."""

from __future__ import annotations

from voxnode.agent.capabilities import (
    capability_by_type,
    installed_services,
    language_capabilities,
)
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_status import ServiceState
from voxnode.testing.statuses import status


def test_pairs_need_a_ready_asr_for_the_source_and_a_ready_translator() -> None:
    statuses = [
        status("zh-speech-thing", ServiceType.ASR, ["en", "ja"]),  # the id says nothing
        status("nmt", ServiceType.NMT, ["en", "zh", "ja"]),
        status("voice", ServiceType.TTS, ["zh"]),
        status("voice-ja", ServiceType.TTS, ["ja"], state=ServiceState.FAILED),
        status("fix", ServiceType.SEMANTIC_REPAIR, ["zh"], state=ServiceState.STARTING),
    ]
    languages = language_capabilities(statuses)
    pairs = {(p.src, p.tgt, p.speech_out) for p in languages.pairs}
    assert pairs == {
        ("en", "ja", False), ("en", "zh", True), ("ja", "en", False), ("ja", "zh", True),
    }  # fmt: skip
    assert languages.asr_languages == ["en", "ja"]
    assert languages.semantic_languages == ["en", "ja", "zh"]
    assert languages.tts_languages == ["zh"]
    assert not languages.semantic_core_ready and languages.repair_languages == []


def test_nothing_ready_offers_nothing() -> None:
    statuses = [status("asr", ServiceType.ASR, ["en"], state=ServiceState.STOPPED)]
    assert language_capabilities(statuses).pairs == []
    by_type = {c.type: c for c in capability_by_type(statuses)}
    assert by_type["asr"].reason == "no_running_impl" and not by_type["asr"].ready
    assert by_type["nmt"].reason == "no_impl"


def test_installed_services_in_lingua_words() -> None:
    statuses = [
        status("fix", ServiceType.SEMANTIC_REPAIR, ["zh"], device="auto", startup_seconds=1.25),
        status("tts", ServiceType.TTS, ["en"], state=ServiceState.FAILED, last_error="boom"),
        status("chat", ServiceType.LLM, [], state=ServiceState.STOPPED, device="gpu"),
    ]
    fix, tts, chat = installed_services(statuses, has_gpu=False)
    assert (fix.type, fix.status, fix.device, fix.warmup_ms) == ("semantic", "running", "cpu", 1250)
    assert (tts.status, tts.last_error) == ("error", "boom")
    assert (chat.type, chat.status, chat.device) == ("llm", "stopped", "gpu")
    assert installed_services(statuses[:1], has_gpu=True)[0].device == "gpu"
