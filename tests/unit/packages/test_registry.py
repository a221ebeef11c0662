from __future__ import annotations

from pathlib import Path

import pytest

from voxnode.contracts.errors import NotFoundError
from voxnode.packages.registry import InstalledVersion, Registry, RegistryCorruptError


def record(version: str, at: float) -> InstalledVersion:
    return InstalledVersion(version=version, path=f"services/a/{version}", installed_at=at)


def test_versions_current_previous_and_removal(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry.json")
    registry.add_version("a", record("1", 1), make_current=True)
    registry.add_version("a", record("2", 2), make_current=True)
    entry = registry.entry("a")
    assert (entry.current, entry.previous) == ("2", "1")
    registry.add_version("a", record("3", 3), make_current=True)
    entry = registry.remove_version(
        "a", "3"
    )  # a failed upgrade: back to 2, 1 stays the rollback target
    assert entry is not None and (entry.current, entry.previous) == ("2", "1")
    entry = registry.remove_version("a", "2")
    assert entry is not None and (entry.current, entry.previous) == ("1", None)
    assert registry.remove_version("a", "1") is None
    with pytest.raises(NotFoundError):
        registry.entry("a")


def test_no_temp_files_left_and_corruption_is_reported(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry.json")
    registry.add_version("a", record("1", 1), make_current=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.json", "registry.json.bak"]
    (tmp_path / "registry.json").write_text("{not json")
    (tmp_path / "registry.json.bak").unlink()
    with pytest.raises(RegistryCorruptError, match="unreadable registry") as caught:
        registry.load()
    assert str(tmp_path / "registry.json") in caught.value.message


@pytest.mark.parametrize(
    "damage",
    [b"{not json", b"", b'{"services": {"a": 3}}', b"\xff\xfe\x00"],
    ids=["not-json", "empty", "wrong-shape", "binary"],
)
def test_a_damaged_registry_falls_back_to_the_last_good_write(
    tmp_path: Path, damage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry(tmp_path / "registry.json")
    registry.add_version("a", record("1", 1), make_current=True)
    registry.add_version("a", record("2", 2), make_current=True)
    (tmp_path / "registry.json").write_bytes(damage)
    assert registry.entry("a").current == "2"  # the backup: the last write, not an older one
    assert str(tmp_path / "registry.json") in caplog.text and "backup" in caplog.text
    registry.add_version("a", record("3", 3), make_current=True)  # the next write heals both
    assert Registry(tmp_path / "registry.json").entry("a").current == "3"
    assert (tmp_path / "registry.json").read_bytes() == (
        tmp_path / "registry.json.bak"
    ).read_bytes()


def test_both_damaged_names_both_files(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry.json")
    registry.add_version("a", record("1", 1), make_current=True)
    (tmp_path / "registry.json").write_text("{")
    (tmp_path / "registry.json.bak").write_text("[")
    with pytest.raises(RegistryCorruptError) as caught:
        registry.load()
    assert "registry.json:" in caught.value.message and "registry.json.bak:" in caught.value.message


def test_a_missing_registry_with_a_backup_uses_the_backup(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry.json")
    registry.add_version("a", record("1", 1), make_current=True)
    (tmp_path / "registry.json").unlink()
    assert registry.entry("a").current == "1"
