"""Bring a package into a staging folder: from a folder, a .zip/.tar.gz, or an http(s) URL.

sha256: given by the caller, or written beside a local archive as `<archive>.sha256`;
required for URLs. A mismatch refuses the package before anything is unpacked.

Signature (package_signature): given as a path, or `<archive>.sig` beside a local archive,
or `<url>.sig` for a URL. One that is there is always checked; none is an error only when
the policy requires one, and a folder, which cannot be signed, is then refused.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from voxnode.contracts.errors import BadInputError, NotFoundError, VoxnodeError
from voxnode.contracts.node_settings import PackageSettings
from voxnode.contracts.service_manifest import MANIFEST_FILE, ManifestError
from voxnode.packages.package_signature import (
    MAX_SIGNATURE_FILE,
    SignatureMissingError,
    parse_signature,
    signature_beside,
    verify,
)
from voxnode.packages.safe_extract import archive_kind, copy_package_folder, extract_archive
from voxnode.portability.disk_space import disk_full_is_an_error

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SignaturePolicy:
    trusted: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    """key_id -> key: the node's trust store."""
    required: bool = False
    signature: Path | None = None
    """The signature file the caller named (default: beside the archive, or <url>.sig)."""


@dataclass(frozen=True, slots=True)
class StagedPackage:
    root: Path
    sha256: str | None
    """Verified against what the caller or a .sha256 file gave, or that a signature signs."""
    signed_by: str | None = None
    """The key_id of a trusted key whose signature verified."""


class ChecksumError(BadInputError):
    code = "SHA256_MISMATCH"


class DownloadError(VoxnodeError):
    code = "DOWNLOAD_FAILED"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def normalise_sha256(value: str) -> str:
    candidate = value.strip().split()[0].lower() if value.strip() else ""
    if not _SHA256.match(candidate):
        raise BadInputError(f"'{value}' is not a sha256 (64 hex digits)", code="BAD_SHA256")
    return candidate


def is_url(spec: str) -> bool:
    return urlparse(spec).scheme in ("http", "https")


def stage_package(
    spec: str, staging: Path, *, sha256: str | None, settings: PackageSettings,
    signatures: SignaturePolicy = SignaturePolicy(),
) -> StagedPackage:  # fmt: skip
    """Unpack `spec` under `staging`, checked (sha256, signature) before anything unpacks."""
    expected = normalise_sha256(sha256) if sha256 else None
    unpacked = staging / "package"
    signature: bytes | None = None
    if is_url(spec):
        if expected is None:
            raise BadInputError(
                "a package from a URL needs its sha256 (--sha256)", code="SHA256_REQUIRED"
            )
        archive = _download(spec, staging, settings=settings)
        signature = _read_signature(signatures.signature) or _fetch_signature(spec, settings)
    else:
        local = Path(spec).expanduser()
        if not local.exists():
            raise NotFoundError(f"{spec}: no such file or folder", code="SOURCE_NOT_FOUND")
        if local.is_dir():
            _folder_allowed(local, expected, signatures)
            if not (local / MANIFEST_FILE).is_file():  # before walking what may be a big tree
                raise ManifestError(f"{local}: no {MANIFEST_FILE} at its root", code="NO_MANIFEST")
            copy_package_folder(
                local, unpacked, max_bytes=settings.max_unpacked_bytes, max_files=settings.max_files
            )
            return StagedPackage(find_package_root(unpacked), None)
        archive = local
        beside = local.with_name(local.name + ".sha256")
        if expected is None and beside.is_file():
            expected = normalise_sha256(beside.read_text())
        signature = _read_signature(signatures.signature, signature_beside(local))
    actual = sha256_file(archive) if expected is not None or signature is not None else None
    if expected is not None and actual != expected:
        raise ChecksumError(f"{archive.name}: sha256 is {actual}, expected {expected}")
    signed_by = None
    if signature is not None and actual is not None:
        source = f"the signature of {archive.name}"
        found = parse_signature(signature, source=source)
        signed_by = verify(found, actual, signatures.trusted, source=source)
        log.info("%s: signed by trusted key %s", archive.name, signed_by)
    elif signatures.required:
        raise SignatureMissingError(
            f"{archive.name} has no signature ({archive.name}.sig or --signature), and this "
            "node requires one (--require-signature or packages.require_signature)"
        )
    extract_archive(
        archive, unpacked, max_bytes=settings.max_unpacked_bytes, max_files=settings.max_files
    )
    return StagedPackage(find_package_root(unpacked), actual, signed_by)


def _folder_allowed(folder: Path, expected: str | None, signatures: SignaturePolicy) -> None:
    if expected is not None:
        raise BadInputError(
            "--sha256 applies to archives and URLs, not to folders", code="BAD_SHA256"
        )
    if signatures.signature is not None:
        raise BadInputError(
            "--signature applies to archives and URLs: a folder has no bytes to sign "
            "(pack it as .tar.gz and sign that)",
            code="SIGNATURE_NOT_APPLICABLE",
        )
    if signatures.required:
        raise SignatureMissingError(
            f"{folder} is a folder, and folders cannot be signature-checked; this node "
            "requires signed packages: install a signed .tar.gz or .zip"
        )


def _read_signature(given: Path | None, beside: Path | None = None) -> bytes | None:
    """The file the caller named (it must exist), else the one beside, if any."""
    if given is not None and not given.is_file():
        raise SignatureMissingError(f"{given}: no such signature file")
    path = given or beside
    if path is None or not path.is_file():
        return None
    with open(path, "rb") as handle:
        return handle.read(MAX_SIGNATURE_FILE + 1)


def _fetch_signature(url: str, settings: PackageSettings) -> bytes | None:
    """`<url>.sig`, or None when the server has none (404)."""
    try:
        response = httpx.get(url + ".sig", timeout=settings.download_timeout_s)
    except httpx.HTTPError as exc:
        raise DownloadError(f"{url}.sig: download failed: {exc}") from exc
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise DownloadError(f"{url}.sig: HTTP {response.status_code}")
    return response.content[: MAX_SIGNATURE_FILE + 1]


def find_package_root(unpacked: Path) -> Path:
    """service.json at the top, or inside the archive's single top-level folder."""
    if (unpacked / MANIFEST_FILE).is_file():
        return unpacked
    entries = [p for p in unpacked.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / MANIFEST_FILE).is_file():
        return entries[0]
    raise ManifestError(f"no {MANIFEST_FILE} at the root of the package", code="NO_MANIFEST")


def _download(url: str, staging: Path, *, settings: PackageSettings) -> Path:
    name = Path(urlparse(url).path).name or "package"
    if archive_kind(name) is None:
        raise BadInputError(
            f"{url}: the URL must end in .zip or .tar.gz", code="UNSUPPORTED_ARCHIVE"
        )
    target = staging / name
    limit = settings.max_unpacked_bytes
    timeout = httpx.Timeout(settings.download_timeout_s)
    try:
        with (
            disk_full_is_an_error(target, what=f"downloading {url}"),
            httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response,
            open(target, "wb") as out,
        ):
            if response.status_code != 200:
                raise DownloadError(f"{url}: HTTP {response.status_code}")
            expected_length = int(response.headers.get("content-length", "0") or 0)
            received = 0
            for chunk in response.iter_bytes(1 << 16):
                received += len(chunk)
                if received > limit:
                    raise BadInputError(f"{url}: larger than {limit} bytes", code="TOO_LARGE")
                out.write(chunk)
    except httpx.HTTPError as exc:
        raise DownloadError(f"{url}: download failed: {exc}") from exc
    if expected_length and received != expected_length:
        raise DownloadError(f"{url}: truncated ({received} of {expected_length} bytes)")
    return target
