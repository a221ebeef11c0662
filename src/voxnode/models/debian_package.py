"""A model file that ships inside a Debian package (.deb): fetch the package, check its
sha256, and stream one member out of its data archive into place.

A .deb is an `ar` archive holding `debian-binary`, `control.tar.*` and `data.tar.*`; the
data archive is a tar (xz, gz, bz2 or uncompressed) whose paths start with `./`.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from pydantic import BaseModel

from voxnode.models.http_download import (
    DownloadPolicy,
    Progress,
    download,
    finish,
    part_path,
)
from voxnode.models.model_errors import DownloadError

AR_MAGIC = b"!<arch>\n"
AR_HEADER = 60


class DebianSource(BaseModel):
    url: str
    """The .deb on a Debian mirror (pool/...)."""
    sha256: str
    """Of the .deb itself, as the archive's Packages index lists it."""
    member: str
    """Path inside the package: 'usr/lib/x86_64-linux-gnu/libime/zh_CN.lm'."""


def data_archive_offset(deb: Path) -> int:
    """Where the data.tar.* member of an ar archive starts."""
    with open(deb, "rb") as handle:
        if handle.read(8) != AR_MAGIC:
            raise DownloadError(f"{deb.name} is not a Debian package (no ar header)")
        while header := handle.read(AR_HEADER):
            if len(header) < AR_HEADER:
                break
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            size = int(header[48:58].decode("ascii").strip())
            offset = handle.tell()
            if name.startswith("data.tar"):
                return offset
            handle.seek(size + (size % 2), 1)
    raise DownloadError(f"{deb.name} has no data.tar member")


def extract_member(deb: Path, member: str, target: Path, *, size: int | None, sha256: str) -> None:
    offset = data_archive_offset(deb)
    wanted = {member.lstrip("./"), "./" + member.lstrip("./")}
    partial = part_path(target)
    with open(deb, "rb") as handle:
        handle.seek(offset)
        with tarfile.open(fileobj=handle, mode="r|*") as tar:  # xz, gz, bz2 or plain
            for info in tar:
                if info.name in wanted and info.isfile():
                    source = tar.extractfile(info)
                    if source is None:
                        break
                    with open(partial, "wb") as out:
                        while block := source.read(1 << 20):
                            out.write(block)
                    finish(partial, target, size=size, sha256=sha256, origin=deb.name)
                    return
    raise DownloadError(f"{deb.name}: no file {member} inside")


def fetch_from_deb(
    source: DebianSource,
    target: Path,
    *,
    size: int | None,
    sha256: str,
    scratch: Path,
    policy: DownloadPolicy,
    progress: Progress | None = None,
) -> None:
    deb = scratch / source.url.rsplit("/", 1)[-1]
    download(source.url, deb, size=None, sha256=source.sha256, policy=policy, progress=progress)
    extract_member(deb, source.member, target, size=size, sha256=sha256)
