"""Install, upgrade, roll back and uninstall packages; keep the registry consistent.

Order of an install: stage (unpack or copy) -> validate -> build the venv -> atomic rename into
services/<id>/<version>/ -> one atomic registry write. A crash at any point leaves either the
old registry (and a staging or unregistered folder that `reconcile` removes) or the new one.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from voxnode.contracts.errors import BadInputError, ConflictError
from voxnode.contracts.node_settings import PackageSettings
from voxnode.contracts.service_manifest import load_manifest
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.packages.install_lock import install_lock
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_source import SignaturePolicy, stage_package
from voxnode.packages.registry import InstalledVersion, Registry, RegistryEntry, now
from voxnode.packages.trusted_keys import TrustedKeys
from voxnode.packages.venv_builder import build_venv, rebuild_venv
from voxnode.portability.disk_space import disk_full_is_an_error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InstallResult:
    package: ServiceSpec
    previous_version: str | None
    """The version that was current before (an upgrade), or None for a first install."""


class PackageInstaller:
    def __init__(self, home: NodeHome, settings: PackageSettings):
        self._home = home
        self._settings = settings
        self.registry = Registry(home.registry)

    def install(
        self, source: str, *, sha256: str | None = None, signature: str | None = None,
        require_signature: bool = False,
    ) -> InstallResult:  # fmt: skip
        """`signature`: the signature file (default `<archive>.sig`); `require_signature`
        (or packages.require_signature): refuse what no trusted key signed."""
        self._home.ensure()
        signatures = SignaturePolicy(
            trusted=TrustedKeys(self._home.trusted_keys).by_id(),
            required=require_signature or self._settings.require_signature,
            signature=Path(signature).expanduser() if signature else None,
        )
        with install_lock(self._home.install_lock, timeout_s=self._settings.install_lock_timeout_s):
            staging = self._home.staging / uuid.uuid4().hex
            try:
                with disk_full_is_an_error(
                    self._home.staging, what=f"installing {source}",
                    clean_up=lambda: shutil.rmtree(staging, ignore_errors=True),
                ):  # fmt: skip
                    staging.mkdir(parents=True)
                    return self._install_staged(source, staging, sha256, signatures)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def _install_staged(
        self, source: str, staging: Path, sha256: str | None, signatures: SignaturePolicy
    ) -> InstallResult:
        staged = stage_package(
            source, staging, sha256=sha256, settings=self._settings, signatures=signatures
        )
        root = staged.root
        manifest = load_manifest(root)
        manifest.platform()
        existing = self.registry.load().services.get(manifest.service_id)
        if existing and manifest.version in existing.versions:
            raise ConflictError(
                f"{manifest.service_id} {manifest.version} is already installed "
                "(uninstall it first, or install another version)",
                code="ALREADY_INSTALLED",
            )
        if manifest.python.isolated:
            build_venv(root, manifest.python, self._settings)
        final = self._home.version_dir(manifest.service_id, manifest.version)
        final.parent.mkdir(parents=True, exist_ok=True)
        root.rename(final)
        record = InstalledVersion(
            version=manifest.version,
            path=str(final.relative_to(self._home.root)),
            installed_at=now(),
            sha256=staged.sha256,
            source=source,
            signed_by=staged.signed_by,
        )
        try:
            self.registry.add_version(manifest.service_id, record, make_current=True)
        except Exception:  # e.g. the disk is full; a process that dies here is reconciled
            self._discard(final)  # the registry kept its old content: so do the folders
            raise
        log.info("installed %s %s from %s", manifest.service_id, manifest.version, source)
        return InstallResult(
            package=ServiceSpec(manifest=load_manifest(final), path=final),
            previous_version=existing.current if existing else None,
        )

    def set_current(self, service_id: str, version: str) -> RegistryEntry:
        with install_lock(self._home.install_lock, timeout_s=self._settings.install_lock_timeout_s):
            return self.registry.set_current(service_id, version)

    def remove_version(self, service_id: str, version: str) -> RegistryEntry | None:
        with install_lock(self._home.install_lock, timeout_s=self._settings.install_lock_timeout_s):
            left = self.registry.remove_version(service_id, version)
            self._discard(self._home.version_dir(service_id, version))
            if left is None:
                self._discard(self._home.services / service_id)
            return left

    def uninstall(self, service_id: str) -> RegistryEntry:
        with install_lock(self._home.install_lock, timeout_s=self._settings.install_lock_timeout_s):
            entry = self.registry.remove_service(service_id)
            self._discard(self._home.services / service_id)
            return entry

    def rebuild_venv(self, service_id: str) -> ServiceSpec:
        """Build the current version's venv anew (a broken one: VENV_BROKEN)."""
        with install_lock(self._home.install_lock, timeout_s=self._settings.install_lock_timeout_s):
            package = self.current(service_id)
            if not package.manifest.python.isolated:
                raise BadInputError(
                    f"{service_id} runs on the node's interpreter: it has no venv to rebuild",
                    code="NOT_ISOLATED",
                )
            rebuild_venv(package.path, package.manifest.python, self._settings)
            log.info("rebuilt the venv of %s %s", service_id, package.version)
            return package

    def current(self, service_id: str) -> ServiceSpec:
        entry = self.registry.entry(service_id)
        return self.package(service_id, entry.current)

    def package(self, service_id: str, version: str) -> ServiceSpec:
        path = self._home.version_dir(service_id, version)
        return ServiceSpec(manifest=load_manifest(path), path=path)

    def installed(self) -> list[ServiceSpec]:
        """The current version of every installed service (unreadable ones are logged, skipped)."""
        packages = []
        for service_id, entry in sorted(self.registry.load().services.items()):
            try:
                packages.append(self.package(service_id, entry.current))
            except Exception as exc:
                log.error("skipping %s %s: %s", service_id, entry.current, exc)
        return packages

    def reconcile(self) -> list[str]:
        """Make folders and registry agree after a crash; returns what was repaired."""
        self._home.ensure()
        repaired: list[str] = []
        with install_lock(self._home.install_lock, timeout_s=self._settings.install_lock_timeout_s):
            for leftover in [*self._home.staging.iterdir(), *self._home.trash.iterdir()]:
                shutil.rmtree(leftover, ignore_errors=True)
                repaired.append(f"removed unfinished {leftover.relative_to(self._home.root)}")
            data = self.registry.load()
            for service_dir in sorted(p for p in self._home.services.iterdir() if p.is_dir()):
                entry = data.services.get(service_dir.name)
                for version_dir in sorted(p for p in service_dir.iterdir() if p.is_dir()):
                    if entry is None or version_dir.name not in entry.versions:
                        shutil.rmtree(version_dir, ignore_errors=True)
                        repaired.append(
                            f"removed unregistered {service_dir.name}/{version_dir.name}"
                        )
                        continue
                    for half_built in version_dir.glob(".venv.*"):  # an interrupted rebuild
                        shutil.rmtree(half_built, ignore_errors=True)
                        repaired.append(f"removed {half_built.relative_to(self._home.root)}")
                if not any(service_dir.iterdir()):
                    service_dir.rmdir()
            for service_id, entry in list(data.services.items()):
                for version in list(entry.versions):
                    if not self._home.version_dir(service_id, version).is_dir():
                        self.registry.remove_version(service_id, version)
                        repaired.append(f"forgot {service_id} {version}: its folder is gone")
        for line in repaired:
            log.warning("reconcile: %s", line)
        return repaired

    def _discard(self, folder: Path) -> None:
        """Move out of services/ at once, then delete (a crash mid-delete leaves only trash)."""
        if not folder.exists():
            return
        target = self._home.trash / uuid.uuid4().hex
        folder.rename(target)
        shutil.rmtree(target, ignore_errors=True)
