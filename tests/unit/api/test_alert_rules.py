"""Alert rules, table-driven: each row is what the node measured and what must fire."""

from __future__ import annotations

from typing import Any

import pytest

from voxnode.api.alert_rules import (
    AlertKind,
    Finding,
    GpuWindow,
    ServiceWindow,
    Severity,
    StageWindow,
    evaluate,
    quantile,
    track,
)
from voxnode.contracts.node_settings import MonitoringSettings
from voxnode.contracts.service_status import ServiceState

SEED = MonitoringSettings()
"""Seed 002's targets: ASR 500 ms, TTS 300 ms, LLM first token 1 s, GPU 80 %, VRAM 16 GB."""


def firing(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.kind.value, f.subject) for f in findings if f.firing}


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.95, None),
        ([7.0], 0.95, 7.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),
        ([float(v) for v in range(1, 21)], 0.95, 19.0),  # nearest rank: the 19th of 20
        ([float(v) for v in range(1, 101)], 0.95, 95.0),
        ([10.0, 10.0, 900.0], 0.95, 900.0),  # p95 of 3 samples is the slowest
    ],
)
def test_quantile_is_nearest_rank(values: list[float], q: float, expected: float | None) -> None:
    assert quantile(values, q) == expected


STAGE_CASES: list[tuple[str, list[StageWindow], dict[str, Any], set[tuple[str, str]]]] = [
    ("no samples, nothing fires", [StageWindow("asr", ())], {}, set()),
    ("fast ASR", [StageWindow("asr", (200.0, 300.0, 450.0))], {}, set()),
    ("slow ASR p95", [StageWindow("asr", (200.0, 300.0, 700.0))], {}, {("stage_latency", "asr")}),
    ("exactly the target is not above it", [StageWindow("tts", (300.0,) * 3)], {}, set()),
    ("too few samples to judge", [StageWindow("asr", (900.0, 900.0))], {}, set()),
    ("min_samples 1 judges one sample", [StageWindow("tts", (301.0,))], {"min_samples": 1},
     {("stage_latency", "tts")}),
    ("nmt has no seed target", [StageWindow("nmt", (9000.0,) * 5)], {}, set()),
    ("an nmt target from config", [StageWindow("nmt", (900.0,) * 5)], {"nmt_ms": 800.0},
     {("stage_latency", "nmt")}),
    ("a target switched off", [StageWindow("asr", (900.0,) * 5)], {"asr_ms": None}, set()),
    ("slow LLM first token", [StageWindow("llm_first_token", (1500.0,) * 3)], {},
     {("stage_latency", "llm_first_token")}),
    ("p50 as the compared quantile", [StageWindow("asr", (100.0, 100.0, 100.0, 2000.0))],
     {"quantile": 0.5}, set()),
    ("two stages at once",
     [StageWindow("asr", (600.0,) * 3), StageWindow("tts", (400.0,) * 3)], {},
     {("stage_latency", "asr"), ("stage_latency", "tts")}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "stages", "overrides", "expected"), STAGE_CASES)
def test_stage_latency_rules(
    case: str, stages: list[StageWindow], overrides: dict[str, Any], expected: set[Any]
) -> None:
    settings = SEED.model_copy(update=overrides)
    assert firing(evaluate(stages, [], [], settings)) == expected, case


GPU_CASES: list[tuple[str, GpuWindow, dict[str, Any], set[tuple[str, str]]]] = [
    ("idle GPU", GpuWindow(0, "RTX 4070 Ti", 10.0, 2048.0), {}, set()),
    ("busy GPU", GpuWindow(0, "RTX 4070 Ti", 85.0, 2048.0), {}, {("gpu_utilization", "0")}),
    ("at 80 % is not above", GpuWindow(1, "RTX 4070 Ti", 80.0, 2048.0), {}, set()),
    ("VRAM over 16 GB", GpuWindow(1, "H200", 5.0, 17 * 1024.0), {}, {("vram", "1")}),
    ("both", GpuWindow(0, "H200", 95.0, 20 * 1024.0), {},
     {("gpu_utilization", "0"), ("vram", "0")}),
    ("GPU rules off", GpuWindow(0, "H200", 95.0, 20 * 1024.0),
     {"gpu_utilization_percent": None, "vram_gb": None}, set()),
]  # fmt: skip


@pytest.mark.parametrize(("case", "gpu", "overrides", "expected"), GPU_CASES)
def test_gpu_rules(
    case: str, gpu: GpuWindow, overrides: dict[str, Any], expected: set[Any]
) -> None:
    settings = SEED.model_copy(update=overrides)
    assert firing(evaluate([], [gpu], [], settings)) == expected, case


SERVICE_CASES: list[tuple[str, ServiceWindow, dict[str, Any], set[tuple[str, str]]]] = [
    ("ready and steady", ServiceWindow("asr-a", ServiceState.READY, 0), {}, set()),
    ("stopped is no failure", ServiceWindow("asr-a", ServiceState.STOPPED, 0), {}, set()),
    ("failed", ServiceWindow("asr-a", ServiceState.FAILED, 0), {}, {("service_failed", "asr-a")}),
    ("two restarts are under three", ServiceWindow("asr-a", ServiceState.READY, 2), {}, set()),
    ("three restarts", ServiceWindow("asr-a", ServiceState.READY, 3), {},
     {("service_restarting", "asr-a")}),
    ("crash loop ended in failed", ServiceWindow("asr-a", ServiceState.FAILED, 5), {},
     {("service_failed", "asr-a"), ("service_restarting", "asr-a")}),
    ("restart rule off", ServiceWindow("asr-a", ServiceState.READY, 9),
     {"service_restarts": None}, set()),
]  # fmt: skip


@pytest.mark.parametrize(("case", "service", "overrides", "expected"), SERVICE_CASES)
def test_service_rules(
    case: str, service: ServiceWindow, overrides: dict[str, Any], expected: set[Any]
) -> None:
    settings = SEED.model_copy(update=overrides)
    assert firing(evaluate([], [], [service], settings)) == expected, case


def test_every_rule_reports_a_finding_firing_or_not() -> None:
    """/metrics exports each finding as 1 or 0, so quiet rules are findings too."""
    findings = evaluate(
        [StageWindow("asr", (100.0,) * 3), StageWindow("nmt", (100.0,))],
        [GpuWindow(0, "g", 1.0, 1.0)], [ServiceWindow("s", ServiceState.READY, 0)], SEED,
    )  # fmt: skip
    assert {(f.kind.value, f.subject, f.firing) for f in findings} == {
        ("stage_latency", "asr", False), ("gpu_utilization", "0", False), ("vram", "0", False),
        ("service_failed", "s", False), ("service_restarting", "s", False),
    }  # fmt: skip


def test_messages_name_the_value_and_the_target() -> None:
    (finding,) = evaluate([StageWindow("tts", (512.0,) * 3)], [], [], SEED)
    assert finding.message == (
        "TTS p95 is 512 ms over the last 300 s (3 samples); the target is under 300 ms"
    )
    assert (finding.value, finding.threshold, finding.severity) == (512.0, 300.0, Severity.WARNING)
    failed = evaluate([], [], [ServiceWindow("x", ServiceState.FAILED, 0)], SEED)[0]
    assert failed.severity is Severity.CRITICAL


def _finding(subject: str, on: bool) -> Finding:
    return Finding(AlertKind.STAGE_LATENCY, subject, on, Severity.WARNING, 1.0, 1.0, "")


@pytest.mark.parametrize(
    ("since", "findings", "now", "expected"),
    [
        ({}, [], 10.0, {}),
        ({}, [_finding("asr", True)], 10.0, {("stage_latency", "asr"): 10.0}),
        ({("stage_latency", "asr"): 5.0}, [_finding("asr", True)], 10.0,
         {("stage_latency", "asr"): 5.0}),  # still firing: keeps its start
        ({("stage_latency", "asr"): 5.0}, [_finding("asr", False)], 10.0, {}),  # cleared
        ({("stage_latency", "asr"): 5.0}, [_finding("tts", True)], 10.0,
         {("stage_latency", "tts"): 10.0}),
    ],
)  # fmt: skip
def test_track_keeps_when_each_alert_began(
    since: dict[tuple[str, str], float], findings: list[Finding], now: float,
    expected: dict[tuple[str, str], float],
) -> None:  # fmt: skip
    assert track(since, findings, now) == expected
