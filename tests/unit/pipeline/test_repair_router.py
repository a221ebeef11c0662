from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest

from voxnode.contracts.node_settings import RepairRoutingSettings, RepairTriggerSettings
from voxnode.contracts.service_manifest import parse_manifest
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.pipeline.repair_router import RepairRouter, RepairStep, repair_steps
from voxnode.pipeline.service_client import ServiceClient


def spec(service_id: str, lang: str | list[str], subtype: str | None = None) -> ServiceSpec:
    raw = {
        "service_id": service_id,
        "name": service_id,
        "version": "1",
        "type": "semantic-repair",
        "lang": lang,
        "subtype": subtype,
        "platforms": {"linux": {"command": "python"}},
    }
    return ServiceSpec(manifest=parse_manifest(json.dumps(raw), source="s"), path=Path("/x"))


ZH = spec("semantic-repair-zh", "zh")
EN = spec("semantic-repair-en", "en")
NORM = spec("en-normalize", "en", subtype="normalize")
BOTH = spec("semantic-repair-en-zh", ["zh", "en"])


@pytest.mark.parametrize(
    ("installed", "lang", "expected"),
    [
        ([ZH, EN, NORM], "zh", [("repair", ["semantic-repair-zh"])]),
        (
            [ZH, EN, NORM],
            "en",
            [("normalize", ["en-normalize"]), ("repair", ["semantic-repair-en"])],
        ),
        ([NORM], "en", [("normalize", ["en-normalize"])]),
        ([EN], "en", [("repair", ["semantic-repair-en"])]),
        ([ZH, EN, NORM], "ja", []),
        ([], "zh", []),
        ([BOTH, EN], "en", [("repair", ["semantic-repair-en-zh", "semantic-repair-en"])]),
    ],
)
def test_repair_steps(
    installed: list[ServiceSpec], lang: str, expected: list[tuple[str, list[str]]]
) -> None:
    serving = [s for s in installed if lang in s.manifest.languages]
    steps = repair_steps(serving)
    assert [(step.value, [s.service_id for s in serving if step.takes(s)]) for step in steps] == (
        expected
    )
    assert all(isinstance(step, RepairStep) for step in steps)


@pytest.mark.parametrize(
    ("zh_mode", "en_mode", "lang", "below"),
    [("always", "policy", "zh", 1.0), ("always", "policy", "en", 0.7),
     ("never", "always", "zh", 0.0), ("never", "always", "auto", 1.0),
     ("policy", "never", "zh", 0.7)],
)  # fmt: skip
def test_the_asr_adds_its_n_best_when_the_language_s_repair_would_judge_it(
    zh_mode: str, en_mode: str, lang: str, below: float
) -> None:
    settings = RepairRoutingSettings(
        zh=RepairTriggerSettings(mode=zh_mode), en=RepairTriggerSettings(mode=en_mode)
    )
    router = RepairRouter(cast(ServiceClient, None), settings)  # the policy alone
    assert router.alternatives_below_quality(lang) == below
