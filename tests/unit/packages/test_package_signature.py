"""Ed25519 package signatures: the file format and every way a check can fail."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from voxnode.contracts.errors import VoxnodeError
from voxnode.packages.package_signature import (
    FORMAT,
    PackageSignature,
    key_id,
    load_public_key,
    parse_signature,
    public_pem,
    sign,
    signed_message,
    verify,
)

AUTHOR = Ed25519PrivateKey.generate()
STRANGER = Ed25519PrivateKey.generate()
SHA = hashlib.sha256(b"an archive").hexdigest()
TRUSTED = {key_id(AUTHOR.public_key()): AUTHOR.public_key()}


def test_a_signature_round_trips_through_its_file_and_verifies() -> None:
    made = sign(SHA, AUTHOR)
    parsed = parse_signature(made.to_json().encode(), source="s")
    assert parsed == made
    assert verify(parsed, SHA, TRUSTED, source="s") == key_id(AUTHOR.public_key())
    assert json.loads(made.to_json())["format"] == FORMAT


def flipped(signature: PackageSignature) -> PackageSignature:
    raw = bytearray(signature.signature)
    raw[10] ^= 1
    return PackageSignature(signature.key_id, signature.sha256, bytes(raw))


OTHER_SHA = hashlib.sha256(b"another archive").hexdigest()
CASES = {
    "unknown-key": (sign(SHA, STRANGER), SHA, "KEY_UNKNOWN"),
    "other-archive": (sign(OTHER_SHA, AUTHOR), SHA, "SIGNATURE_INVALID"),
    "tampered": (flipped(sign(SHA, AUTHOR)), SHA, "SIGNATURE_INVALID"),
    "claims-the-right-sha": (
        PackageSignature(key_id(AUTHOR.public_key()), SHA, sign(OTHER_SHA, AUTHOR).signature),
        SHA, "SIGNATURE_INVALID",
    ),
    "stranger-claims-author-id": (
        PackageSignature(key_id(AUTHOR.public_key()), SHA, sign(SHA, STRANGER).signature),
        SHA, "SIGNATURE_INVALID",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("signature", "sha", "code"), CASES.values(), ids=CASES.keys())
def test_what_fails(signature: PackageSignature, sha: str, code: str) -> None:
    with pytest.raises(VoxnodeError) as caught:
        verify(signature, sha, TRUSTED, source="the signature of p.tar.gz")
    assert caught.value.code == code and "p.tar.gz" in caught.value.message


def valid() -> dict[str, object]:
    return json.loads(sign(SHA, AUTHOR).to_json())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "data",
    [
        b"", b"not json", b"[]", json.dumps({**valid(), "format": "gpg"}).encode(),
        json.dumps({k: v for k, v in valid().items() if k != "key_id"}).encode(),
        json.dumps({**valid(), "signature": "***"}).encode(),
        json.dumps({**valid(), "signature": base64.b64encode(b"short").decode()}).encode(),
        b"x" * 20_000,
    ],
    ids=["empty", "text", "list", "format", "no-key", "not-base64", "short", "huge"],
)  # fmt: skip
def test_a_malformed_signature_file_is_invalid(data: bytes) -> None:
    with pytest.raises(VoxnodeError) as caught:
        parse_signature(data, source="f.sig")
    assert caught.value.code == "SIGNATURE_INVALID"


def test_the_signed_text_carries_a_label() -> None:
    """A bare digest signed by the same key for another purpose does not pass."""
    assert signed_message(SHA) == b"voxnode-package-sha256:" + SHA.encode()
    bare = PackageSignature(key_id(AUTHOR.public_key()), SHA, AUTHOR.sign(bytes.fromhex(SHA)))
    with pytest.raises(VoxnodeError, match="does not verify"):
        verify(bare, SHA, TRUSTED, source="s")


def test_only_ed25519_keys_are_trusted() -> None:
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(VoxnodeError) as caught:
        load_public_key(rsa_pem, source="rsa.pem")
    assert caught.value.code == "BAD_KEY"
    with pytest.raises(VoxnodeError, match="not a PEM"):
        load_public_key(b"garbage", source="g.pem")
    assert key_id(load_public_key(public_pem(AUTHOR.public_key()), source="k")) == key_id(
        AUTHOR.public_key()
    )
