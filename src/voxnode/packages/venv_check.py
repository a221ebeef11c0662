"""Is a service's venv whole? Checked before every start (VENV_BROKEN) against the inventory
its build wrote: the interpreter runs, every distribution is there at its version, every
top-level module it installed is still importable, and the linked VoxNode code is the node's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from voxnode.contracts.errors import VoxnodeError
from voxnode.packages.node_distribution import node_version

RECORD = "voxnode-venv.json"

_INVENTORY = r"""
import importlib.util, json, sys
from importlib import metadata
SKIP = (".dist-info", ".egg-info", ".data", ".pth", ".txt", ".json", ".md")
dists, modules = {}, set()
for dist in metadata.distributions():
    dists[dist.metadata["Name"]] = dist.version
    for file in dist.files or []:
        top = file.parts[0]
        if len(file.parts) == 1 and not top.endswith((".py", ".so", ".pyd")):
            continue
        name = top.split(".")[0]
        if not top.endswith(SKIP) and name.isidentifier() and name != "__pycache__":
            modules.add(name)
found = sorted(m for m in modules if importlib.util.find_spec(m) is not None)
print(json.dumps({"distributions": dists, "modules": found}))
"""

_VERIFY = r"""
import importlib.util, json, sys
from importlib import metadata
want = json.loads(sys.stdin.read())
problems = []
for name, version in want["distributions"].items():
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        problems.append(f"{name} {version} is not installed")
        continue
    if have != version:
        problems.append(f"{name} is {have}, the build installed {version}")
for module in want["modules"]:
    if importlib.util.find_spec(module) is None:
        problems.append(f"module {module} is missing")
print(json.dumps(problems))
"""


class VenvBrokenError(VoxnodeError):
    code = "VENV_BROKEN"
    status = 409


class VenvRecord(BaseModel):
    voxnode_version: str | None
    """The node version whose code the venv runs; None: it runs none."""
    voxnode_extras: list[str] | None
    requirements: list[str]
    distributions: dict[str, str]
    modules: list[str]

    def write(self, venv: Path) -> None:
        (venv / RECORD).write_text(self.model_dump_json(indent=2), encoding="utf-8")


def python_in(venv: Path) -> Path:
    if sys.platform.startswith("win"):
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    if sys.platform.startswith("win"):
        return venv / "Lib" / "site-packages"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return venv / "lib" / version / "site-packages"


def take_inventory(python: Path, *, timeout_s: float) -> dict[str, object]:
    done = _probe(python, _INVENTORY, "", timeout_s)
    inventory: dict[str, object] = json.loads(done)
    return inventory


def check_venv(service_id: str, venv: Path, *, timeout_s: float = 30.0) -> None:
    """Raise VENV_BROKEN with what is wrong and how to fix it."""

    def broken(what: str) -> VenvBrokenError:
        return VenvBrokenError(
            f"{service_id}: its venv {venv} is broken ({what}); rebuild it with "
            f"`voxnode repair-service {service_id}`"
        )

    python = python_in(venv)
    record_path = venv / RECORD
    if not python.exists():
        raise broken("no interpreter")
    if not record_path.is_file():
        raise broken("its build did not finish")
    try:
        record = VenvRecord.model_validate_json(record_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise broken(f"unreadable {RECORD}: {exc}") from exc
    if record.voxnode_version not in (None, node_version()):
        raise broken(f"built for VoxNode {record.voxnode_version}, the node is {node_version()}")
    want = record.model_dump_json(include={"distributions", "modules"})
    try:
        problems = json.loads(_probe(python, _VERIFY, want, timeout_s))
    except VenvBrokenError as exc:
        raise broken(exc.message) from exc
    if problems:
        raise broken("; ".join(problems[:5]))


def _probe(python: Path, script: str, stdin: str, timeout_s: float) -> str:
    try:
        done = subprocess.run(
            [str(python), "-I", "-c", script], input=stdin, capture_output=True, text=True,
            timeout=timeout_s, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VenvBrokenError(f"its interpreter does not run: {exc}") from exc
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise VenvBrokenError(f"its interpreter failed: {tail[0]}")
    return done.stdout
