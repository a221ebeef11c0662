"""Install, upgrade, uninstall, reconcile: the registry stays consistent through faults."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import threading
import time
from pathlib import Path

import pytest

from voxnode.contracts.errors import BadInputError, ConflictError, NotFoundError, VoxnodeError
from voxnode.contracts.node_settings import PackageSettings
from voxnode.contracts.service_manifest import ManifestError
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.packages.package_source import ChecksumError
from voxnode.packages.registry import Registry
from voxnode.packages.safe_extract import UnsafeArchiveError
from voxnode.testing import MakePackage


@pytest.fixture
def installer(home: Path) -> PackageInstaller:
    return PackageInstaller(NodeHome(home), PackageSettings())


def tar_gz(folder: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz") as tf:
        tf.add(folder, arcname="pkg")
    return target


def zip_of(folder: Path, target: Path) -> Path:
    return Path(shutil.make_archive(str(target.with_suffix("")), "zip", folder))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def registry_bytes(home: Path) -> bytes | None:
    path = home / "registry.json"
    return path.read_bytes() if path.exists() else None


def test_install_from_folder_zip_and_tar(
    installer: PackageInstaller, make_package: MakePackage, tmp_path: Path, home: Path
) -> None:
    installer.install(str(make_package("a")))
    installer.install(str(zip_of(make_package("b"), tmp_path / "b.zip")))
    installer.install(str(tar_gz(make_package("c"), tmp_path / "c.tar.gz")))
    assert sorted(p.service_id for p in installer.installed()) == ["a", "b", "c"]
    assert (home / "services/c/1.0.0/server.py").is_file()
    assert not any((home / "staging").iterdir())


def test_upgrade_keeps_both_versions_and_rollback_target(
    installer: PackageInstaller, make_package: MakePackage
) -> None:
    installer.install(str(make_package("a", version="1.0.0")))
    result = installer.install(str(make_package("a", version="1.1.0")))
    assert result.previous_version == "1.0.0"
    entry = installer.registry.entry("a")
    assert (entry.current, entry.previous, sorted(entry.versions)) == (
        "1.1.0",
        "1.0.0",
        ["1.0.0", "1.1.0"],
    )
    installer.set_current("a", "1.0.0")
    assert installer.current("a").version == "1.0.0"


def test_same_version_twice_is_a_conflict(
    installer: PackageInstaller, make_package: MakePackage
) -> None:
    installer.install(str(make_package("a")))
    with pytest.raises(ConflictError, match="already installed"):
        installer.install(str(make_package("a")))


def test_sha256_beside_the_archive_and_on_the_command_line(
    installer: PackageInstaller, make_package: MakePackage, tmp_path: Path, home: Path
) -> None:
    archive = zip_of(make_package("a"), tmp_path / "a.zip")
    Path(f"{archive}.sha256").write_text(f"{'0' * 64}  a.zip\n")
    with pytest.raises(ChecksumError, match="expected 0000"):
        installer.install(str(archive))
    assert registry_bytes(home) is None
    with pytest.raises(ChecksumError):
        installer.install(str(archive), sha256="1" * 64)
    Path(f"{archive}.sha256").write_text(sha(archive))
    assert installer.install(str(archive)).package.service_id == "a"
    assert installer.registry.entry("a").versions["1.0.0"].sha256 == sha(archive)


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("bad_json", ManifestError),
        ("no_manifest", ManifestError),
        ("hostile_link", UnsafeArchiveError),
        ("not_a_package", BadInputError),
        ("missing_source", NotFoundError),
    ],
)
def test_bad_packages_leave_the_registry_unchanged(
    installer: PackageInstaller,
    make_package: MakePackage,
    tmp_path: Path,
    home: Path,
    breakage: str,
    error: type[VoxnodeError],
) -> None:
    installer.install(str(make_package("keep")))
    before = registry_bytes(home)
    folder = make_package("broken")
    source = str(folder)
    if breakage == "bad_json":
        (folder / "service.json").write_text("{")
    elif breakage == "no_manifest":
        (folder / "service.json").unlink()
    elif breakage == "hostile_link":
        (folder / "escape").symlink_to("/etc/passwd")
    elif breakage == "not_a_package":
        source = str(tmp_path / "x.rar")
        Path(source).write_bytes(b"rar")
    else:
        source = str(tmp_path / "nope")
    with pytest.raises(error):
        installer.install(source)
    assert registry_bytes(home) == before
    assert sorted(p.name for p in (home / "services").iterdir()) == ["keep"]
    assert not any((home / "staging").iterdir())


def test_crash_between_rename_and_registry_write_is_repaired(
    installer: PackageInstaller,
    make_package: MakePackage,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installer.install(str(make_package("a", version="1.0.0")))
    before = registry_bytes(home)

    def power_cut(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # the process dies here

    monkeypatch.setattr(Registry, "add_version", power_cut)
    with pytest.raises(KeyboardInterrupt):
        installer.install(str(make_package("a", version="2.0.0")))
    monkeypatch.undo()
    assert (home / "services/a/2.0.0").is_dir()  # renamed, but never registered
    repaired = PackageInstaller(NodeHome(home), PackageSettings()).reconcile()
    assert repaired == ["removed unregistered a/2.0.0"]
    assert registry_bytes(home) == before
    assert sorted(p.name for p in (home / "services/a").iterdir()) == ["1.0.0"]


def test_reconcile_forgets_versions_whose_folder_vanished(
    installer: PackageInstaller, make_package: MakePackage, home: Path
) -> None:
    installer.install(str(make_package("a", version="1.0.0")))
    installer.install(str(make_package("a", version="2.0.0")))
    shutil.rmtree(home / "services/a/2.0.0")
    assert installer.reconcile() == ["forgot a 2.0.0: its folder is gone"]
    assert installer.registry.entry("a").current == "1.0.0"


def test_uninstall_removes_everything(
    installer: PackageInstaller, make_package: MakePackage, home: Path
) -> None:
    installer.install(str(make_package("a", version="1.0.0")))
    installer.install(str(make_package("a", version="2.0.0")))
    installer.uninstall("a")
    assert not (home / "services/a").exists()
    with pytest.raises(NotFoundError):
        installer.uninstall("a")
    assert installer.registry.load().services == {}


def test_two_installs_at_once_are_serialised(
    installer: PackageInstaller, make_package: MakePackage, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = 0
    overlap = False
    original = PackageInstaller._install_staged

    def slow(self: PackageInstaller, *args: object) -> object:
        nonlocal inside, overlap
        inside += 1
        overlap = overlap or inside > 1
        time.sleep(0.3)
        try:
            return original(self, *args)  # type: ignore[arg-type]
        finally:
            inside -= 1

    monkeypatch.setattr(PackageInstaller, "_install_staged", slow)
    folders = [make_package(f"s{i}") for i in range(3)]
    threads = [threading.Thread(target=installer.install, args=(str(f),)) for f in folders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not overlap
    assert sorted(installer.registry.load().services) == ["s0", "s1", "s2"]
