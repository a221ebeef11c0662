"""Turn a manifest's platform block into argv, env and cwd for one start."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.packages.venv_builder import venv_python

PYTHON_COMMANDS = frozenset({"python", "python3", "${PYTHON}"})
_STRIPPED_FOR_ISOLATION = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
NODE_SECRETS = frozenset({"VOXNODE_AUTH_TOKEN", "VOXNODE_AGENT__NODE_TOKEN"})
"""The node's own secrets: a service never inherits them (it reaches the node with the
per-run VOXNODE_NODE_TOKEN the node gives it instead)."""


def without_node_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` less NODE_SECRETS, whatever their case (pydantic-settings ignores case)."""
    return {name: value for name, value in environ.items() if name.upper() not in NODE_SECRETS}


class LaunchError(VoxnodeError):
    """The service cannot be started as installed (a missing command)."""

    code = "MISSING_COMMAND"
    status = 409


@dataclass(frozen=True, slots=True)
class LaunchCommand:
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: Path


def build_launch(spec: ServiceSpec, port: int, *, base_env: Mapping[str, str]) -> LaunchCommand:
    manifest = spec.manifest
    block = manifest.platform()
    isolated = manifest.python.isolated
    python = venv_python(spec.path) if isolated else Path(sys.executable)
    values = {"${SERVICE_DIR}": str(spec.path), "${PORT}": str(port), "${PYTHON}": str(python)}

    def expand(text: str) -> str:
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    env = dict(base_env)
    if isolated:
        for name in _STRIPPED_FOR_ISOLATION:
            env.pop(name, None)
        env["VIRTUAL_ENV"] = str(python.parent.parent)
        env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    env.update({key: expand(value) for key, value in block.env.items()})
    env.update(
        PORT=str(port),
        VOXNODE_SERVICE_ID=manifest.service_id,
        VOXNODE_SERVICE_DIR=str(spec.path),
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
    )
    cwd = (spec.path / expand(block.cwd)).resolve() if block.cwd else spec.path
    command = (
        str(python) if block.command in PYTHON_COMMANDS else _resolve(block.command, spec, env)
    )
    return LaunchCommand(argv=(command, *(expand(arg) for arg in block.args)), env=env, cwd=cwd)


def _resolve(command: str, spec: ServiceSpec, env: Mapping[str, str]) -> str:
    expanded = command.replace("${SERVICE_DIR}", str(spec.path))
    if "/" in expanded or "\\" in expanded:
        candidate = Path(expanded) if Path(expanded).is_absolute() else spec.path / expanded
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise LaunchError(f"{spec.service_id}: command '{command}' not found or not executable")
    found = shutil.which(expanded, path=env.get("PATH"))
    if found is None:
        raise LaunchError(f"{spec.service_id}: command '{command}' not found on PATH")
    return found
