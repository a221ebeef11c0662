"""Plan D: a package with `python.isolated` gets its own venv inside its install folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.service_manifest import PythonSpec

VENV_DIR = ".venv"


class VenvBuildError(BadInputError):
    code = "VENV_BUILD_FAILED"


def venv_python(package_dir: Path) -> Path:
    if sys.platform.startswith("win"):
        return package_dir / VENV_DIR / "Scripts" / "python.exe"
    return package_dir / VENV_DIR / "bin" / "python"


def build_venv(package_dir: Path, spec: PythonSpec, *, timeout_s: float) -> Path:
    """Create `<package>/.venv` (no system site-packages) and pip-install the requirements."""
    _run([sys.executable, "-m", "venv", str(package_dir / VENV_DIR)], "create the venv", timeout_s)
    python = venv_python(package_dir)
    requirements = list(spec.requirements)
    if spec.requirements_file:
        req_file = (package_dir / spec.requirements_file).resolve()
        if not req_file.is_relative_to(package_dir.resolve()) or not req_file.is_file():
            raise VenvBuildError(f"python.requirements_file '{spec.requirements_file}' not found")
        requirements += ["-r", str(req_file)]
    if requirements:
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
        _run([*pip, *requirements], "install the requirements", timeout_s)
    return python


def _run(argv: list[str], what: str, timeout_s: float) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise VenvBuildError(f"could not {what}: timed out after {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-8:]
        raise VenvBuildError(f"could not {what} (exit {done.returncode}): " + " | ".join(tail))
