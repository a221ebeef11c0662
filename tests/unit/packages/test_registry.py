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
    assert [p.name for p in tmp_path.iterdir()] == ["registry.json"]
    (tmp_path / "registry.json").write_text("{not json")
    with pytest.raises(RegistryCorruptError, match="unreadable registry"):
        registry.load()
