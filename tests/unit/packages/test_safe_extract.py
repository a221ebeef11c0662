"""Hostile and broken archives are refused before anything lands outside the target."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from voxnode.packages.safe_extract import CorruptArchiveError, UnsafeArchiveError, extract_archive

LIMITS = {"max_bytes": 10_000, "max_files": 10}


def make_zip(path: Path, entries: list[tuple[str, bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def make_tar(
    path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None
) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for member in members:
            payload = (data or {}).get(member.name)
            if payload is not None:
                member.size = len(payload)
            tf.addfile(member, io.BytesIO(payload) if payload is not None else None)
    return path


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def test_a_good_zip_unpacks_with_links_inside_and_exec_bits(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "ok.zip",
        [
            ("pkg/service.json", b"{}", stat.S_IFREG | 0o644),
            ("pkg/run.sh", b"#!/bin/sh", stat.S_IFREG | 0o755),
            ("pkg/link", b"run.sh", stat.S_IFLNK | 0o777),
        ],
    )
    extract_archive(archive, tmp_path / "out", **LIMITS)
    assert (tmp_path / "out/pkg/service.json").read_bytes() == b"{}"
    assert (tmp_path / "out/pkg/run.sh").stat().st_mode & 0o111
    assert (tmp_path / "out/pkg/link").readlink() == Path("run.sh")


@pytest.mark.parametrize(
    ("name", "data", "mode", "message"),
    [
        ("/etc/evil", b"x", stat.S_IFREG | 0o644, "absolute path"),
        ("pkg/../../evil", b"x", stat.S_IFREG | 0o644, "leaves the package"),
        ("C:/evil", b"x", stat.S_IFREG | 0o644, "absolute path"),
        ("pkg/link", b"../../etc/passwd", stat.S_IFLNK | 0o777, "points outside"),
        ("pkg/link", b"/etc/passwd", stat.S_IFLNK | 0o777, "absolute"),
        ("pkg/fifo", b"", stat.S_IFIFO | 0o644, "special file"),
    ],
)
def test_hostile_zip_entries_are_refused(
    tmp_path: Path, name: str, data: bytes, mode: int, message: str
) -> None:
    archive = make_zip(
        tmp_path / "bad.zip",
        [("pkg/service.json", b"{}", stat.S_IFREG | 0o644), (name, data, mode)],
    )
    with pytest.raises(UnsafeArchiveError, match=message):
        extract_archive(archive, tmp_path / "out", **LIMITS)
    assert not (tmp_path / "out" / "pkg" / "service.json").exists()  # checked before writing


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (tar_member("dev", tarfile.CHRTYPE), "device"),
        (tar_member("blk", tarfile.BLKTYPE), "device"),
        (tar_member("l", tarfile.SYMTYPE, "../outside"), "points outside"),
        (tar_member("h", tarfile.LNKTYPE, "../outside"), "leaves the package"),
        (tar_member("../x"), "leaves the package"),
    ],
)
def test_hostile_tar_members_are_refused(
    tmp_path: Path, member: tarfile.TarInfo, message: str
) -> None:
    archive = make_tar(tmp_path / "bad.tar.gz", [member], {"../x": b"x"})
    with pytest.raises(UnsafeArchiveError, match=message):
        extract_archive(archive, tmp_path / "out", **LIMITS)


def test_archive_bomb_is_refused_by_size(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros", b"\0" * 1_000_000)  # ~1 KB compressed
    assert archive.stat().st_size < 10_000
    with pytest.raises(UnsafeArchiveError, match="unpacks past the limit"):
        extract_archive(archive, tmp_path / "out", **LIMITS)


def test_too_many_files(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "many.zip", [(f"f{i}", b"", stat.S_IFREG | 0o644) for i in range(11)]
    )
    with pytest.raises(UnsafeArchiveError, match="more than 10 files"):
        extract_archive(archive, tmp_path / "out", **LIMITS)


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
def test_truncated_archive_is_corrupt(tmp_path: Path, suffix: str) -> None:
    good = tmp_path / f"good{suffix}"
    if suffix == ".zip":
        make_zip(good, [("a", b"x" * 5000, stat.S_IFREG | 0o644)])
    else:
        make_tar(good, [tar_member("a")], {"a": bytes(range(256)) * 20})
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CorruptArchiveError):
        extract_archive(cut, tmp_path / "out", **LIMITS)
