from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from voxnode.contracts.service_manifest import load_manifest
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.supervisor.launch_command import LaunchError, build_launch, without_node_secrets


def package(
    tmp_path: Path, platform: dict[str, object], python: dict[str, object] | None = None
) -> ServiceSpec:
    manifest = {
        "service_id": "svc",
        "name": "n",
        "version": "1",
        "type": "asr",
        "platforms": {"linux": platform},
        "python": python or {},
    }
    (tmp_path / "service.json").write_text(json.dumps(manifest))
    return ServiceSpec(manifest=load_manifest(tmp_path), path=tmp_path)


def test_substitutes_service_dir_port_and_python(tmp_path: Path) -> None:
    spec = package(
        tmp_path,
        {
            "command": "python",
            "args": ["${SERVICE_DIR}/s.py", "--port", "${PORT}"],
            "env": {"MODEL": "${SERVICE_DIR}/m", "PY": "${PYTHON}"},
        },
    )
    launch = build_launch(spec, 5123, base_env={"PATH": "/usr/bin", "KEEP": "1"})
    assert launch.argv == (sys.executable, f"{tmp_path}/s.py", "--port", "5123")
    assert launch.env["PORT"] == "5123"
    assert launch.env["MODEL"] == f"{tmp_path}/m"
    assert launch.env["PY"] == sys.executable
    assert launch.env["KEEP"] == "1"
    assert launch.cwd == tmp_path


def test_isolated_uses_the_venv_and_drops_shared_paths(tmp_path: Path) -> None:
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    spec = package(tmp_path, {"command": "python", "args": ["-m", "x"]}, {"isolated": True})
    launch = build_launch(spec, 1, base_env={"PATH": "/usr/bin", "PYTHONPATH": "/shared"})
    assert launch.argv[0] == str(venv_python)
    assert "PYTHONPATH" not in launch.env
    assert launch.env["PATH"].startswith(str(venv_python.parent))


@pytest.mark.parametrize("command", ["no-such-program-xyz", "./bin/missing"])
def test_missing_command(tmp_path: Path, command: str) -> None:
    spec = package(tmp_path, {"command": command})
    with pytest.raises(LaunchError, match="not found"):
        build_launch(spec, 1, base_env={"PATH": "/usr/bin"})


def test_relative_command_inside_the_package(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    tool = tmp_path / "bin" / "serve"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    spec = package(tmp_path, {"command": "bin/serve", "cwd": "bin"})
    launch = build_launch(spec, 1, base_env={"PATH": "/usr/bin"})
    assert launch.argv == (str(tool),)
    assert launch.cwd == (tmp_path / "bin").resolve()


@pytest.mark.parametrize(
    ("environ", "kept"),
    [
        ({"PATH": "/bin", "VOXNODE_HOME": "/h"}, {"PATH", "VOXNODE_HOME"}),
        ({"VOXNODE_AUTH_TOKEN": "s", "PATH": "/bin"}, {"PATH"}),
        ({"voxnode_auth_token": "s", "VOXNODE_AGENT__NODE_TOKEN": "t"}, set()),
        ({"VOXNODE_NODE_TOKEN": "per-run"}, {"VOXNODE_NODE_TOKEN"}),
    ],
)
def test_services_never_inherit_the_nodes_secrets(environ: dict[str, str], kept: set[str]) -> None:
    assert set(without_node_secrets(environ)) == kept
