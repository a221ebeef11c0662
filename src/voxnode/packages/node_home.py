"""Where everything of one node lives (`VOXNODE_HOME`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class NodeHome:
    root: Path

    @property
    def services(self) -> Path:
        return self.root / "services"

    @property
    def staging(self) -> Path:
        """Installs unpack and build here; same filesystem as services/ so rename is atomic."""
        return self.root / "staging"

    @property
    def trash(self) -> Path:
        """Uninstalled versions are moved here before deletion."""
        return self.root / "trash"

    @property
    def registry(self) -> Path:
        return self.root / "registry.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """Pid files of running service processes (orphan clean-up after a crash)."""
        return self.root / "run"

    @property
    def install_lock(self) -> Path:
        return self.root / "install.lock"

    @property
    def node_file(self) -> Path:
        """Written by a running node: its pid and API address, for the CLI to find it."""
        return self.root / "node.json"

    @property
    def trusted_keys(self) -> Path:
        """Public keys whose package signatures this node accepts (`voxnode keys`)."""
        return self.root / "trusted_keys"

    def version_dir(self, service_id: str, version: str) -> Path:
        return self.services / service_id / version

    def ensure(self) -> None:
        for folder in (self.root, self.services, self.staging, self.trash, self.logs, self.run):
            folder.mkdir(parents=True, exist_ok=True)
