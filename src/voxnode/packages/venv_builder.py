"""Plan D: a package with `python.isolated` gets its own venv inside its install folder.

uv builds it (from its wheel cache, hard-linked where it can: a second venv of the same wheels
takes seconds and little disk), on the node's interpreter, without system site-packages. A
package that runs VoxNode code also gets the node's core requirements, its extras and the
node's own code (node_distribution.py). The build ends by writing an inventory of what is
installed (venv_check.py reads it at every start), so a venv that is half built has none and
never starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from uv import find_uv_bin

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.node_settings import PackageSettings
from voxnode.contracts.service_manifest import PythonSpec
from voxnode.packages.node_distribution import (
    link_node_code,
    node_requirements,
    node_version,
)
from voxnode.packages.venv_check import VenvRecord, python_in, site_packages, take_inventory

VENV_DIR = ".venv"
REBUILD_DIR = ".venv.rebuild"


class VenvBuildError(BadInputError):
    code = "VENV_BUILD_FAILED"


def venv_dir(package_dir: Path) -> Path:
    return package_dir / VENV_DIR


def venv_python(package_dir: Path) -> Path:
    return python_in(venv_dir(package_dir))


def build_venv(package_dir: Path, spec: PythonSpec, settings: PackageSettings) -> Path:
    """Create `<package>/.venv` and install what the manifest asks for; returns its python."""
    return _build(package_dir, package_dir / VENV_DIR, spec, settings)


def rebuild_venv(package_dir: Path, spec: PythonSpec, settings: PackageSettings) -> Path:
    """Build a fresh venv beside the old one, then swap them (the old one is deleted)."""
    fresh = package_dir / REBUILD_DIR
    shutil.rmtree(fresh, ignore_errors=True)
    _build(package_dir, fresh, spec, settings)
    current = package_dir / VENV_DIR
    if current.exists():
        doomed = package_dir / f".venv.old-{uuid.uuid4().hex[:8]}"
        current.rename(doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    fresh.rename(current)
    return venv_python(package_dir)


def _build(package_dir: Path, venv: Path, spec: PythonSpec, settings: PackageSettings) -> Path:
    timeout_s = settings.venv_build_timeout_s
    uv = find_uv_bin()
    _run([uv, "venv", "--quiet", "--relocatable", "--python", sys.executable, str(venv)],
         "create the venv", timeout_s)  # fmt: skip
    python = python_in(venv)
    requirements = list(spec.requirements)
    if spec.requirements_file:
        req_file = (package_dir / spec.requirements_file).resolve()
        if not req_file.is_relative_to(package_dir.resolve()) or not req_file.is_file():
            raise VenvBuildError(f"python.requirements_file '{spec.requirements_file}' not found")
        requirements += ["-r", str(req_file)]
    if spec.voxnode_extras is not None:
        requirements += node_requirements(spec.voxnode_extras)
    if requirements:
        wheels = settings.wheels_dir
        find_links = ["--find-links", str(wheels)] if wheels.is_dir() else []
        _run([uv, "pip", "install", "--quiet", "--no-progress", "--python", str(python),
              *find_links, *requirements], "install the requirements", timeout_s)  # fmt: skip
    if spec.voxnode_extras is not None:
        link_node_code(site_packages(venv))
    record = VenvRecord(
        voxnode_version=node_version() if spec.voxnode_extras is not None else None,
        voxnode_extras=spec.voxnode_extras,
        requirements=requirements,
        **take_inventory(python, timeout_s=timeout_s),
    )
    record.write(venv)
    return python


def _run(argv: list[str], what: str, timeout_s: float) -> None:
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout_s, check=False, env=env
        )
    except subprocess.TimeoutExpired as exc:
        raise VenvBuildError(f"could not {what}: timed out after {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-8:]
        raise VenvBuildError(f"could not {what} (exit {done.returncode}): " + " | ".join(tail))
