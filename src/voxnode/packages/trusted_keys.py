"""The trust store: Ed25519 public keys whose package signatures this node accepts.

One PEM file per key in `<home>/trusted_keys/<name>.pem`. A key is named by its file name
and identified by its key_id (package_signature.key_id).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from voxnode.contracts.errors import BadInputError, ConflictError, NotFoundError
from voxnode.packages.atomic_file import write_atomic
from voxnode.packages.package_signature import BadKeyError, key_id, load_public_key, public_pem

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SUFFIX = ".pem"


@dataclass(frozen=True, slots=True)
class TrustedKey:
    name: str
    key_id: str
    path: Path


class TrustedKeys:
    def __init__(self, folder: Path):
        self.folder = folder

    def add(self, pem: bytes, *, name: str, source: str) -> TrustedKey:
        if not _NAME.match(name):
            raise BadInputError(f"key name '{name}': use letters, digits, '.', '_' or '-'")
        public = load_public_key(pem, source=source)
        found = key_id(public)
        for known in self.keys():
            if known.key_id == found:
                raise ConflictError(
                    f"key {found} is already trusted as '{known.name}'", code="KEY_EXISTS"
                )
            if known.name == name:
                raise ConflictError(f"a key named '{name}' is already trusted", code="KEY_EXISTS")
        path = self.folder / f"{name}{SUFFIX}"
        write_atomic(path, public_pem(public))
        return TrustedKey(name=name, key_id=found, path=path)

    def keys(self) -> list[TrustedKey]:
        return [key for key, _ in self._load()]

    def remove(self, name_or_id: str) -> TrustedKey:
        for key in self.keys():
            if name_or_id in (key.name, key.key_id):
                key.path.unlink()
                return key
        raise NotFoundError(f"no trusted key named or with id '{name_or_id}'", code="KEY_UNKNOWN")

    def by_id(self) -> dict[str, Ed25519PublicKey]:
        return {key.key_id: public for key, public in self._load()}

    def _load(self) -> list[tuple[TrustedKey, Ed25519PublicKey]]:
        if not self.folder.is_dir():
            return []
        keys = []
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            try:
                public = load_public_key(path.read_bytes(), source=str(path))
            except (BadKeyError, OSError) as exc:
                log.error("ignoring %s: %s", path, exc)
                continue
            keys.append((TrustedKey(name=path.stem, key_id=key_id(public), path=path), public))
        return keys
