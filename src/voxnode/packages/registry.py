"""The registry file: which versions of which services are installed, and which is current.

`registry.json` is the single source of truth. A version folder under services/ that the
registry does not name is an unfinished install and is removed by `reconcile` at start-up.

Every successful write is copied to `registry.json.bak`. When `registry.json` cannot be read
(damaged, edited by hand), the error naming it is logged and the backup, the last content
written, is used; the next write replaces both. Unreadable both: RegistryCorruptError.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from pydantic import BaseModel, ValidationError

from voxnode.contracts.errors import NotFoundError, VoxnodeError
from voxnode.packages.atomic_file import write_atomic
from voxnode.portability.disk_space import disk_full_is_an_error

log = logging.getLogger(__name__)


class RegistryCorruptError(VoxnodeError):
    code = "REGISTRY_CORRUPT"


class InstalledVersion(BaseModel):
    version: str
    path: str
    """Relative to the node home."""
    installed_at: float
    sha256: str | None = None
    source: str = ""
    signed_by: str | None = None
    """The key_id of the trusted key whose signature verified, or None (unsigned)."""


class RegistryEntry(BaseModel):
    service_id: str
    current: str
    previous: str | None = None
    versions: dict[str, InstalledVersion]


class RegistryData(BaseModel):
    schema_version: int = 1
    services: dict[str, RegistryEntry] = {}


class Registry:
    """Reads and writes `registry.json`; every change is one atomic write."""

    def __init__(self, path: Path):
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    @property
    def backup(self) -> Path:
        return self._path.with_name(self._path.name + ".bak")

    def load(self) -> RegistryData:
        if not self._path.exists() and not self.backup.exists():
            return RegistryData()
        try:
            return _read(self._path)
        except RegistryCorruptError as exc:
            if not self.backup.exists():
                raise
            try:
                data = _read(self.backup)
            except RegistryCorruptError as also:
                raise RegistryCorruptError(f"{exc.message}; and {also.message}") from exc
            log.error("%s; using the backup %s (the last good write)", exc.message, self.backup)
            return data

    def save(self, data: RegistryData) -> None:
        payload = json.dumps(data.model_dump(mode="json"), indent=2, sort_keys=True).encode()
        with disk_full_is_an_error(self._path, what="writing the registry"):
            write_atomic(self._path, payload)
        try:
            write_atomic(self.backup, payload)
        except OSError as exc:  # the registry itself is written; the old backup stays
            log.warning("could not write the registry backup %s: %s", self.backup, exc)

    def entry(self, service_id: str) -> RegistryEntry:
        entry = self.load().services.get(service_id)
        if entry is None:
            raise NotFoundError(f"service '{service_id}' is not installed", code="UNKNOWN_SERVICE")
        return entry

    def add_version(self, service_id: str, record: InstalledVersion, *, make_current: bool) -> None:
        data = self.load()
        entry = data.services.get(service_id)
        if entry is None:
            data.services[service_id] = RegistryEntry(
                service_id=service_id, current=record.version, versions={record.version: record}
            )
        else:
            entry.versions[record.version] = record
            if make_current and entry.current != record.version:
                entry.previous, entry.current = entry.current, record.version
        self.save(data)

    def set_current(self, service_id: str, version: str) -> RegistryEntry:
        data = self.load()
        entry = _with_version(data, service_id, version)
        if entry.current != version:
            entry.previous, entry.current = entry.current, version
        self.save(data)
        return entry

    def remove_version(self, service_id: str, version: str) -> RegistryEntry | None:
        """Forget one version; returns the entry left, or None when the service is gone."""
        data = self.load()
        entry = _with_version(data, service_id, version)
        del entry.versions[version]
        if not entry.versions:
            del data.services[service_id]
            self.save(data)
            return None
        if entry.previous == version or entry.previous not in entry.versions:
            entry.previous = None
        if entry.current == version:
            entry.current = entry.previous or newest(list(entry.versions.values())).version
            others = [r for r in entry.versions.values() if r.version != entry.current]
            entry.previous = newest(others).version if others else None
        self.save(data)
        return entry

    def remove_service(self, service_id: str) -> RegistryEntry:
        data = self.load()
        entry = data.services.pop(service_id, None)
        if entry is None:
            raise NotFoundError(f"service '{service_id}' is not installed", code="UNKNOWN_SERVICE")
        self.save(data)
        return entry


def _read(path: Path) -> RegistryData:
    try:
        return RegistryData.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise RegistryCorruptError(f"{path}: missing") from exc
    except (ValidationError, ValueError, OSError) as exc:
        raise RegistryCorruptError(f"{path}: unreadable registry: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _with_version(data: RegistryData, service_id: str, version: str) -> RegistryEntry:
    entry = data.services.get(service_id)
    if entry is None or version not in entry.versions:
        raise NotFoundError(
            f"service '{service_id}' has no installed version '{version}'", code="UNKNOWN_VERSION"
        )
    return entry


def newest(records: list[InstalledVersion]) -> InstalledVersion:
    return max(records, key=lambda record: record.installed_at)


def now() -> float:
    return time.time()
