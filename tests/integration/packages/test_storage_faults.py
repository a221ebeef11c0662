"""Installs on a full disk (a home on a 20 MiB tmpfs), and damaged registry or config files
met by `voxnode up` and the CLI."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxnode.cli.main import app as cli
from voxnode.contracts.errors import StorageFullError
from voxnode.contracts.node_settings import PackageSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.testing import MakePackage, run_node_process


def with_big_file(package: Path) -> Path:
    (package / "weights.bin").write_bytes(os.urandom(30 * 2**20))
    return package


def zipped(package: Path) -> Path:
    archive = package.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as zf:
        for path in package.rglob("*"):
            zf.write(path, path.relative_to(package).as_posix())
    return archive


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_an_install_that_does_not_fit_fails_clearly_and_changes_nothing(
    small_disk: Path, make_package: MakePackage, form: str
) -> None:
    home = NodeHome(small_disk / "home")
    installer = PackageInstaller(home, PackageSettings())
    installer.install(str(make_package("small")))
    registry = home.registry.read_bytes()
    big = with_big_file(make_package("big"))
    source = big if form == "folder" else zipped(big)
    with pytest.raises(StorageFullError) as caught:
        installer.install(str(source))
    message = caught.value.message
    assert caught.value.code == "DISK_FULL", message
    assert str(home.staging) in message and "needs 30.0 MiB" in message, message
    assert home.registry.read_bytes() == registry
    assert sorted(p.name for p in home.services.iterdir()) == ["small"]
    assert list(home.staging.iterdir()) == []
    assert installer.reconcile() == []


def test_a_damaged_config_file_is_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("port = [\n")
    result = CliRunner().invoke(cli, ["services", "--home", str(home)])
    assert result.exit_code == 1
    assert "CONFIG_INVALID" in result.output and str(home / "config.toml") in result.output
    (home / "config.toml").write_text('port = "many"\n')
    result = CliRunner().invoke(cli, ["up", "--home", str(home)])
    assert result.exit_code == 1 and "CONFIG_INVALID" in result.output
    assert "port" in result.output and str(home / "config.toml") in result.output


def test_a_damaged_registry_without_a_backup_stops_the_node_with_its_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "registry.json").write_text('{"services": ')
    result = CliRunner().invoke(cli, ["up", "--home", str(home), "--port", "0"])
    assert result.exit_code == 1, result.output
    assert "REGISTRY_CORRUPT" in result.output and str(home / "registry.json") in result.output


def test_a_damaged_registry_falls_back_to_its_backup_on_a_running_node(
    tmp_path: Path, make_package: MakePackage
) -> None:
    home = NodeHome(tmp_path / "home")
    installer = PackageInstaller(home, PackageSettings())
    installer.install(str(make_package("kept")))
    home.registry.write_bytes(b"\x00garbage")
    with run_node_process(home.root) as node, node.client() as http:
        listed = [s["service_id"] for s in http.get("/v1/services").json()["services"]]
        assert listed == ["kept"]
        assert str(home.registry) in node.log() and "backup" in node.log()
        assert http.delete("/v1/services/kept").status_code == 204  # the next write heals it
    assert json.loads(home.registry.read_text())["services"] == {}
