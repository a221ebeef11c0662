"""Detached Ed25519 signatures over a package archive's sha256.

The signature file (`<archive>.sig` beside it, or any path given) is JSON:

    {"format": "voxnode-signature-1", "key_id": "<16 hex>", "sha256": "<64 hex>",
     "signature": "<base64 of 64 bytes>"}

What is signed is the ASCII text `voxnode-package-sha256:<64 hex>`: the archive's digest
behind a fixed label, so that a signature made for a package can never pass for anything
else the same key signs. `key_id` names the key (the first 16 hex digits of the sha256 of
its raw 32 bytes), so the node knows which trusted key to try. Folders have no archive
bytes to hash and so cannot be signed: a node that requires signatures refuses them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from voxnode.contracts.errors import BadInputError

FORMAT = "voxnode-signature-1"
LABEL = b"voxnode-package-sha256:"
MAX_SIGNATURE_FILE = 16 * 1024


class SignatureMissingError(BadInputError):
    code = "SIGNATURE_MISSING"


class SignatureInvalidError(BadInputError):
    code = "SIGNATURE_INVALID"


class KeyUnknownError(BadInputError):
    code = "KEY_UNKNOWN"


class BadKeyError(BadInputError):
    code = "BAD_KEY"


@dataclass(frozen=True, slots=True)
class PackageSignature:
    key_id: str
    sha256: str
    signature: bytes

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "key_id": self.key_id, "sha256": self.sha256,
            "signature": base64.b64encode(self.signature).decode(),
        }, indent=1) + "\n"  # fmt: skip


def signed_message(sha256: str) -> bytes:
    return LABEL + sha256.encode("ascii")


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(pem: bytes, *, source: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise BadKeyError(f"{source}: not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BadKeyError(f"{source}: a {type(key).__name__}; VoxNode trusts Ed25519 keys only")
    return key


def load_private_key(pem: bytes, *, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise BadKeyError(f"{source}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKeyError(f"{source}: a {type(key).__name__}; VoxNode signs with Ed25519 only")
    return key


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip


def sign(sha256: str, private: Ed25519PrivateKey) -> PackageSignature:
    return PackageSignature(
        key_id=key_id(private.public_key()), sha256=sha256,
        signature=private.sign(signed_message(sha256)),
    )  # fmt: skip


def parse_signature(data: bytes, *, source: str) -> PackageSignature:
    """SignatureInvalidError for anything but a well-formed signature file."""
    if len(data) > MAX_SIGNATURE_FILE:
        raise SignatureInvalidError(f"{source}: {len(data)} bytes is not a signature file")
    try:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        found = PackageSignature(
            key_id=str(raw["key_id"]), sha256=str(raw["sha256"]).lower(),
            signature=base64.b64decode(str(raw["signature"]), validate=True),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise SignatureInvalidError(f"{source}: unreadable signature file: {exc}") from exc
    if len(found.signature) != 64:
        raise SignatureInvalidError(f"{source}: an Ed25519 signature has 64 bytes")
    return found


def verify(
    found: PackageSignature, sha256: str, trusted: dict[str, Ed25519PublicKey], *, source: str
) -> str:
    """The key_id that signed `sha256`; KeyUnknownError or SignatureInvalidError otherwise."""
    public = trusted.get(found.key_id)
    if public is None:
        raise KeyUnknownError(
            f"{source}: signed by key {found.key_id}, which is not in the trust store "
            "(voxnode keys add PUBLIC.pem)"
        )
    if found.sha256 != sha256:
        raise SignatureInvalidError(
            f"{source}: signs sha256 {found.sha256}, but the archive's is {sha256}"
        )
    try:
        public.verify(found.signature, signed_message(sha256))
    except InvalidSignature:
        raise SignatureInvalidError(
            f"{source}: the signature does not verify with key {found.key_id}"
        ) from None
    return found.key_id


def signature_beside(archive: Path) -> Path:
    return archive.with_name(archive.name + ".sig")
