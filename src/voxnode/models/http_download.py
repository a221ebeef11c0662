"""Fetch one URL into a file: resume with Range into `<file>.part`, retry stalls, verify, rename.

The target appears only complete and verified (atomic rename); a `.part` left by a cut
connection or a killed process is resumed by the next call, never mistaken for the file.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from voxnode.contracts.errors import NotFoundError
from voxnode.models.model_errors import ChecksumError, DownloadError
from voxnode.portability.disk_space import disk_full_is_an_error

Progress = Callable[[int, int | None], None]
"""Called with (bytes on disk, total bytes or None) as a download advances."""


@dataclass(frozen=True, slots=True)
class DownloadPolicy:
    stall_timeout_s: float = 30.0
    """No byte for this long: the connection is dropped and the download resumed."""
    attempts: int = 6
    backoff_s: float = 1.0
    """Wait before attempt n is backoff_s * 2**(n-1), capped at 30 s."""


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def download(
    url: str,
    target: Path,
    *,
    size: int | None,
    sha256: str,
    policy: DownloadPolicy,
    progress: Progress | None = None,
) -> None:
    partial = part_path(target)
    partial.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for attempt in range(policy.attempts):
        if attempt:
            time.sleep(min(policy.backoff_s * 2 ** (attempt - 1), 30.0))
        try:
            if _fetch(url, partial, size=size, policy=policy, progress=progress):
                break
            failures.append("connection closed early")
        except (httpx.TransportError, DownloadError) as exc:
            failures.append(str(exc) or type(exc).__name__)
    else:
        raise DownloadError(
            f"{url}: gave up after {policy.attempts} attempts ({'; '.join(failures[-3:])})"
        )
    finish(partial, target, size=size, sha256=sha256, origin=url)


def finish(partial: Path, target: Path, *, size: int | None, sha256: str, origin: str) -> None:
    """Check size and digest of a complete `.part`, then rename it into place."""
    actual_size = partial.stat().st_size
    if size is not None and actual_size != size:
        partial.unlink(missing_ok=True)
        raise ChecksumError(f"{origin}: {actual_size} bytes, expected {size}; deleted")
    actual = sha256_of(partial)
    if actual != sha256:
        partial.unlink(missing_ok=True)
        raise ChecksumError(f"{origin}: sha256 is {actual}, expected {sha256}; deleted")
    os.replace(partial, target)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(
    url: str, partial: Path, *, size: int | None, policy: DownloadPolicy, progress: Progress | None
) -> bool:
    """One attempt; True when the `.part` is complete."""
    have = partial.stat().st_size if partial.exists() else 0
    if size is not None and have >= size:
        return True
    headers = {"Range": f"bytes={have}-"} if have else {}
    timeout = httpx.Timeout(policy.stall_timeout_s, connect=min(policy.stall_timeout_s, 10.0))
    with httpx.stream(
        "GET", url, headers=headers, timeout=timeout, follow_redirects=True
    ) as response:
        total = _total(response, have, size)
        if response.status_code == 416 and have:
            return bool(size is None or have >= size)
        if response.status_code == 404:
            raise NotFoundError(f"{url}: not found (HTTP 404)", code="MODEL_SOURCE_NOT_FOUND")
        if response.status_code not in (200, 206):
            raise DownloadError(f"{url}: HTTP {response.status_code}")
        if response.status_code == 206 and not _resumes_at(response, have):
            partial.unlink(missing_ok=True)
            raise DownloadError(f"{url}: the server resumed at another offset; starting over")
        mode = "ab" if response.status_code == 206 else "wb"
        done = have if mode == "ab" else 0
        with (
            disk_full_is_an_error(
                partial, what=f"downloading {url}", needed=lambda: total,
                clean_up=lambda: partial.unlink(missing_ok=True),
            ),
            open(partial, mode) as out,
        ):  # fmt: skip
            for chunk in response.iter_bytes():  # as it arrives: a cut keeps every byte
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            out.flush()
            os.fsync(out.fileno())
    return total is None or done >= total


def _resumes_at(response: httpx.Response, have: int) -> bool:
    content_range = response.headers.get("content-range", "")
    return bool(content_range.startswith(f"bytes {have}-"))


def _total(response: httpx.Response, have: int, size: int | None) -> int | None:
    if size is not None:
        return size
    content_range = response.headers.get("content-range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("content-length")
    if length is None:
        return None
    return int(length) + (have if response.status_code == 206 else 0)
