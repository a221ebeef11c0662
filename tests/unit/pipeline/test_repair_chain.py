from __future__ import annotations

import json
from pathlib import Path

import pytest

from voxnode.contracts.service_manifest import parse_manifest
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.pipeline.repair_router import primary_language, repair_chain


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
        ([ZH, EN, NORM], "zh", [["semantic-repair-zh"]]),
        ([ZH, EN, NORM], "en", [["en-normalize"], ["semantic-repair-en"]]),
        ([NORM], "en", [["en-normalize"]]),
        ([EN], "en", [["semantic-repair-en"]]),
        ([ZH, EN, NORM], "ja", []),
        ([], "zh", []),
        ([BOTH, EN], "en", [["semantic-repair-en-zh", "semantic-repair-en"]]),
    ],
)
def test_repair_chain(installed: list[ServiceSpec], lang: str, expected: list[list[str]]) -> None:
    chain = repair_chain(installed, lang)
    assert [[s.service_id for s in group] for group in chain] == expected


@pytest.mark.parametrize(
    ("raw", "lang"), [("zh-CN", "zh"), ("EN_us", "en"), (" en ", "en"), ("yue", "yue")]
)
def test_primary_language(raw: str, lang: str) -> None:
    assert primary_language(raw) == lang
