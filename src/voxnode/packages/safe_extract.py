"""Unpack .zip and .tar.gz archives without letting them write outside the target folder.

Refused: absolute paths, `..` components, links that point outside the folder, device files
and FIFOs, and archives that would unpack past a size or file-count limit.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from voxnode.contracts.errors import BadInputError
from voxnode.portability.disk_space import disk_full_is_an_error, require_free

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")


class UnsafeArchiveError(BadInputError):
    code = "UNSAFE_ARCHIVE"


class CorruptArchiveError(BadInputError):
    code = "CORRUPT_ARCHIVE"


def archive_kind(name: str) -> str | None:
    lowered = name.lower()
    if lowered.endswith(".zip"):
        return "zip"
    if lowered.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    return None


def extract_archive(archive: Path, dest: Path, *, max_bytes: int, max_files: int) -> None:
    kind = archive_kind(archive.name)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with disk_full_is_an_error(dest, what=f"unpacking {archive.name}"):
            if kind == "zip":
                _extract_zip(archive, dest, max_bytes=max_bytes, max_files=max_files)
            elif kind == "tar.gz":
                _extract_tar(archive, dest, max_bytes=max_bytes, max_files=max_files)
            else:
                raise BadInputError(
                    f"{archive.name}: not a supported archive (use .zip or .tar.gz)",
                    code="UNSUPPORTED_ARCHIVE",
                )
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, KeyError) as exc:
        # KeyError: a tar hard link to a member that is not there
        raise CorruptArchiveError(f"{archive.name}: corrupt or truncated archive: {exc}") from exc


def check_member_name(name: str, archive: str) -> PurePosixPath:
    normalised = name.replace("\\", "/")
    path = PurePosixPath(normalised)
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: absolute path '{name}' refused")
    if ".." in path.parts:
        raise UnsafeArchiveError(f"{archive}: path '{name}' leaves the package folder")
    return path


def check_link_target(member: PurePosixPath, target: str, archive: str) -> None:
    if target.startswith("/") or target.startswith("\\"):
        raise UnsafeArchiveError(f"{archive}: link '{member}' points to absolute '{target}'")
    depth = len(member.parent.parts)
    for part in PurePosixPath(target.replace("\\", "/")).parts:
        depth = depth - 1 if part == ".." else depth + (part != ".")
        if depth < 0:
            raise UnsafeArchiveError(f"{archive}: link '{member}' points outside to '{target}'")


class _Budget:
    def __init__(self, archive: str, max_bytes: int, max_files: int):
        self.archive, self.max_bytes, self.max_files = archive, max_bytes, max_files
        self.bytes = 0
        self.files = 0

    def add_file(self, size: int) -> None:
        self.files += 1
        if self.files > self.max_files:
            raise UnsafeArchiveError(f"{self.archive}: more than {self.max_files} files")
        self.add_bytes(size)

    def add_bytes(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.max_bytes:
            raise UnsafeArchiveError(
                f"{self.archive}: unpacks past the limit of {self.max_bytes} bytes"
            )


def _extract_zip(archive: Path, dest: Path, *, max_bytes: int, max_files: int) -> None:
    budget = _Budget(archive.name, max_bytes, max_files)
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        for info in infos:
            path = check_member_name(info.filename, archive.name)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                check_link_target(path, zf.read(info).decode("utf-8", "replace"), archive.name)
            elif stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: not recorded
                raise UnsafeArchiveError(f"{archive.name}: special file '{info.filename}'")
            budget.add_file(info.file_size)
        require_free(dest, budget.bytes, what=f"unpacking {archive.name}")
        written = _Budget(archive.name, max_bytes, max_files)
        for info in infos:
            path = check_member_name(info.filename, archive.name)
            target = dest.joinpath(*path.parts)
            mode = info.external_attr >> 16
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                target.symlink_to(zf.read(info).decode("utf-8"))
                continue
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written.add_bytes(len(chunk))
                    out.write(chunk)
            if mode & 0o111:
                target.chmod(0o755)


def _extract_tar(archive: Path, dest: Path, *, max_bytes: int, max_files: int) -> None:
    budget = _Budget(archive.name, max_bytes, max_files)
    with tarfile.open(archive, "r:gz") as tf:
        members = tf.getmembers()
        for member in members:
            path = check_member_name(member.name, archive.name)
            if member.isdev() or member.isfifo():
                raise UnsafeArchiveError(f"{archive.name}: device or FIFO '{member.name}'")
            if member.issym():
                check_link_target(path, member.linkname, archive.name)
            elif member.islnk():
                check_member_name(member.linkname, archive.name)
            budget.add_file(member.size)
        require_free(dest, budget.bytes, what=f"unpacking {archive.name}")
        tf.extractall(dest, members=members, filter="data")


_SKIPPED_IN_FOLDERS = (".venv", "__pycache__", ".git")


def copy_package_folder(source: Path, dest: Path, *, max_bytes: int, max_files: int) -> None:
    """Copy a package folder, with the same limits and link rules as an archive."""
    budget = _Budget(source.name, max_bytes, max_files)
    for folder, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_IN_FOLDERS]
        for name in dirs + files:
            path = Path(folder) / name
            rel = PurePosixPath(path.relative_to(source).as_posix())
            if path.is_symlink():
                check_link_target(rel, os.readlink(path), source.name)
            elif name in files:
                budget.add_file(path.stat().st_size)
    require_free(dest.parent, budget.bytes, what=f"copying the package folder {source}")
    shutil.copytree(
        source, dest, symlinks=True, ignore=shutil.ignore_patterns(*_SKIPPED_IN_FOLDERS)
    )
