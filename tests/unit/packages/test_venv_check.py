"""VENV_BROKEN before a start: checked against the inventory the venv's build wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxnode.contracts.node_settings import PackageSettings
from voxnode.contracts.service_manifest import PythonSpec
from voxnode.packages.venv_builder import build_venv, venv_dir
from voxnode.packages.venv_check import RECORD, VenvBrokenError, VenvRecord, check_venv


@pytest.fixture
def empty_venv(tmp_path: Path) -> Path:
    """A real venv with nothing installed (uv creates it in well under a second)."""
    build_venv(tmp_path, PythonSpec(isolated=True), PackageSettings(wheels_dir=tmp_path / "no"))
    return venv_dir(tmp_path)


def record_of(venv: Path) -> VenvRecord:
    return VenvRecord.model_validate_json((venv / RECORD).read_text())


def test_a_fresh_venv_passes(empty_venv: Path) -> None:
    check_venv("svc", empty_venv)
    assert record_of(empty_venv).voxnode_version is None


def test_no_interpreter(tmp_path: Path) -> None:
    with pytest.raises(VenvBrokenError, match="no interpreter") as caught:
        check_venv("svc", tmp_path / ".venv")
    assert caught.value.code == "VENV_BROKEN"
    assert "voxnode repair-service svc" in caught.value.message


def test_a_build_that_did_not_finish(empty_venv: Path) -> None:
    (empty_venv / RECORD).unlink()
    with pytest.raises(VenvBrokenError, match="its build did not finish"):
        check_venv("svc", empty_venv)


def test_a_missing_distribution_and_module_are_named(empty_venv: Path) -> None:
    record = record_of(empty_venv)
    tampered = record.model_copy(
        update={"distributions": {"six": "1.16.0"}, "modules": ["six", *record.modules]}
    )
    tampered.write(empty_venv)
    with pytest.raises(VenvBrokenError) as caught:
        check_venv("svc", empty_venv)
    assert "six 1.16.0 is not installed" in caught.value.message
    assert "module six is missing" in caught.value.message


def test_a_venv_built_for_another_node_version(empty_venv: Path) -> None:
    record_of(empty_venv).model_copy(update={"voxnode_version": "0.0.1"}).write(empty_venv)
    with pytest.raises(VenvBrokenError, match=r"built for VoxNode 0\.0\.1"):
        check_venv("svc", empty_venv)
