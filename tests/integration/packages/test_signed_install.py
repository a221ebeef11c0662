"""Signed packages end to end through the CLI: keys new/sign/add/list/rm, installs that
require a signature (flag, config switch, running node), and what is refused."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from voxnode.cli.main import app as cli
from voxnode.packages.node_home import NodeHome
from voxnode.testing import MakePackage, run_node_process


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, [*args])


def packed(folder: Path) -> Path:
    archive = folder.with_name(folder.name + ".tar.gz")
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(folder, arcname=folder.name)
    return archive


@pytest.fixture
def author(tmp_path: Path) -> Path:
    key = tmp_path / "keys" / "author"
    assert run("keys", "new", str(key)).exit_code == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    return key


def untouched(home: Path) -> None:
    layout = NodeHome(home)
    assert not layout.services.exists() or list(layout.services.iterdir()) == []
    assert not layout.staging.exists() or list(layout.staging.iterdir()) == []
    registry = json.loads(layout.registry.read_text()) if layout.registry.exists() else {}
    assert registry.get("services", {}) == {}


def test_a_signed_archive_installs_and_everything_else_is_refused(
    tmp_path: Path, make_package: MakePackage, author: Path
) -> None:
    home = str(tmp_path / "home")
    archive = packed(make_package("signed"))
    signed = run("keys", "sign", str(archive), "--key", str(author))
    assert signed.exit_code == 0, signed.output
    missing_key = run("install-service", str(archive), "--require-signature", "--home", home)
    assert missing_key.exit_code == 1 and "KEY_UNKNOWN" in missing_key.output
    untouched(Path(home))
    added = run("keys", "add", f"{author}.pub", "--home", home)
    assert added.exit_code == 0, added.output
    listed = json.loads(run("keys", "list", "--home", home, "--json").output)
    assert [k["name"] for k in listed] == ["author"]

    unsigned = packed(make_package("unsigned"))
    refused = run("install-service", str(unsigned), "--require-signature", "--home", home)
    assert refused.exit_code == 1 and "SIGNATURE_MISSING" in refused.output
    folder = run("install-service", str(make_package("folder")), "--require-signature",
                 "--home", home)  # fmt: skip
    assert folder.exit_code == 1 and "folders cannot be signature-checked" in folder.output
    tampered = packed(make_package("tampered"))
    run("keys", "sign", str(tampered), "--key", str(author))
    tampered.write_bytes(tampered.read_bytes() + b"\0")  # changed after signing
    bad = run("install-service", str(tampered), "--home", home)  # a signature there is checked
    assert bad.exit_code == 1 and "SIGNATURE_INVALID" in bad.output
    untouched(Path(home))

    good = run("install-service", str(archive), "--require-signature", "--home", home, "--json")
    assert good.exit_code == 0, good.output
    registry = json.loads(NodeHome(Path(home)).registry.read_text())
    assert registry["services"]["signed"]["versions"]["1.0.0"]["signed_by"] == listed[0]["key_id"]
    assert run("keys", "rm", "author", "--home", home).exit_code == 0
    assert run("keys", "list", "--home", home).output.strip() == "no trusted keys"


def test_the_config_switch_requires_signatures_on_a_running_node(
    tmp_path: Path, make_package: MakePackage, author: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("[packages]\nrequire_signature = true\n")
    run("keys", "add", f"{author}.pub", "--home", str(home))
    signed = packed(make_package("signed"))
    separate = tmp_path / "elsewhere.sig"
    run("keys", "sign", str(signed), "--key", str(author), "--out", str(separate))
    with run_node_process(home):
        refused = run("install-service", str(packed(make_package("plain"))), "--home", str(home))
        assert refused.exit_code == 1 and "SIGNATURE_MISSING" in refused.output
        beside_missing = run("install-service", str(signed), "--home", str(home))
        assert beside_missing.exit_code == 1 and "SIGNATURE_MISSING" in beside_missing.output
        installed = run(
            "install-service", str(signed), "--signature", str(separate), "--home", str(home)
        )
        assert installed.exit_code == 0, installed.output
        assert "installed signed 1.0.0" in installed.output
