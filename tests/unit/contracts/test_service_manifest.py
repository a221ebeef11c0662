from __future__ import annotations

import json
from pathlib import Path

import pytest

from voxnode.contracts.service_manifest import (
    ManifestError,
    ServiceType,
    load_manifest,
    parse_manifest,
)

SEED_STYLE = """{
  "service_id": "semantic-repair-zh",
  "name": "中文语义修复服务",
  "version": "1.0.0",
  "type": "semantic-repair",
  "lang": "zh",
  "model": {"name": "qwen2.5-3b-instruct", "variant": "zh-optimized",  // 中文优化版本
            "quantization": "int4", "size_gb": 2.0},
  "platforms": {
    "windows": {"default_port": 5015, "command": "python", "args": ["-m", "x"]},
    "linux": {"default_port": 5015, "command": "python", "args": ["-m", "x"],
              "env": {"MODEL_PATH": "${SERVICE_DIR}/models/q", "URL": "http://a//b"}},
    "darwin": {"...": "..."}
  }
}"""


def test_seed_format_with_comments_and_platform_blocks() -> None:
    manifest = parse_manifest(SEED_STYLE, source="service.json")
    assert manifest.type is ServiceType.SEMANTIC_REPAIR
    assert manifest.languages == ["zh"]
    assert manifest.is_model_service
    linux = manifest.platform("linux")
    assert linux.default_port == 5015
    assert linux.env["URL"] == "http://a//b"  # '//' inside a string is not a comment
    assert manifest.health.startup_timeout_s == 60.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service_id": "Bad Id!"}, "service_id"),
        ({"version": "../1"}, "version"),
        ({"type": "teleporter"}, "type"),
        ({"health": {"startup_timeout_s": 0}}, "health.startup_timeout_s"),
        ({"platforms": {"linux": {"args": []}}}, "platforms.linux.command"),
        ({"platforms": {"linux": {"command": "x", "bogus": 1}}}, "platforms.linux.bogus"),
        (
            {"platforms": {"linux": {"command": "x", "default_port": 70000}}},
            "platforms.linux.default_port",
        ),
    ],
)
def test_errors_name_the_field_and_the_file(change: dict[str, object], field: str) -> None:
    raw = json.loads(parse_manifest(SEED_STYLE, source="x").model_dump_json())
    raw.update(change)
    with pytest.raises(ManifestError) as caught:
        parse_manifest(json.dumps(raw), source="pkg/service.json")
    assert caught.value.message.startswith("pkg/service.json:")
    assert f"'{field}'" in caught.value.message


def test_missing_required_field() -> None:
    with pytest.raises(ManifestError, match="field 'name': Field required"):
        parse_manifest(
            '{"service_id": "a", "version": "1", "type": "asr", "platforms": {}}', source="s"
        )


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(ManifestError, match=r"s\.json: not valid JSON at line 2 column"):
        parse_manifest('{"service_id": "a",\n  oops}', source="s.json")


def test_platform_missing_is_a_clear_error() -> None:
    manifest = parse_manifest(
        '{"service_id":"a","name":"n","version":"1","type":"tts","platforms":{"windows":{"command":"x"}}}',
        source="s",
    )
    with pytest.raises(ManifestError, match="no 'linux' block"):
        manifest.platform("linux")


def test_type_alias_from_the_origin_system() -> None:
    text = '{"service_id":"a","name":"n","version":"1","type":"semantic","platforms":{}}'
    assert parse_manifest(text, source="s").type is ServiceType.SEMANTIC_REPAIR


def test_load_manifest_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"service\.json: missing"):
        load_manifest(tmp_path)
