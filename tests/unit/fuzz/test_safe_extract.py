"""Property: an archive of any members (traversal, absolute names, links in and out,
hard links, devices, FIFOs) is refused or unpacked inside the target folder; nothing is
ever written beside it, and nothing unpacked points outside it."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from voxnode.contracts.errors import BadInputError
from voxnode.packages.safe_extract import extract_archive

NAMES = ["a", "d/b", "d/e/f", "../up", "/abs", "d/../../x", "./c", "a\\..\\..\\w", "C:evil",
         "d/./g", "d", "..", ".", "d/", "//srv/x", "a/b/../../../y"]  # fmt: skip
TARGETS = [*NAMES, "/etc/passwd", "../../outside", "b", "e/f", "../a", "d/../../../z"]
TAR_KINDS = [tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
             tarfile.FIFOTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE]  # fmt: skip
ZIP_KINDS = [stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK, stat.S_IFCHR, stat.S_IFIFO, 0]

name = st.sampled_from(NAMES) | st.text(alphabet="ab./\\:", min_size=1, max_size=8)
target = st.sampled_from(TARGETS) | st.text(alphabet="ab./", min_size=1, max_size=8)
member = st.tuples(name, st.integers(0, 6), target, st.binary(max_size=64))


def tar_gz(members: list[tuple[str, int, str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        for member_name, kind, link, data in members:
            info = tarfile.TarInfo(member_name)
            info.type = TAR_KINDS[kind % len(TAR_KINDS)]
            info.mode = 0o755
            if info.type in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = link
            if info.type == tarfile.REGTYPE:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return out.getvalue()


def zip_bytes(members: list[tuple[str, int, str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for member_name, kind, link, data in members:
            mode = ZIP_KINDS[kind % len(ZIP_KINDS)]
            stem = member_name.rstrip("/") or "x"  # zipfile itself cannot write a nameless one
            info = zipfile.ZipInfo(stem + ("/" if mode == stat.S_IFDIR else ""))
            if info.filename in zf.namelist():
                continue  # zipfile warns about a second member of one name
            info.external_attr = (mode | 0o755) << 16
            zf.writestr(info, link.encode() if mode == stat.S_IFLNK else data)
    return out.getvalue()


def outcome(archive_bytes: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        box = Path(tmp) / "box"
        dest = box / "deep" / "dest"
        dest.parent.mkdir(parents=True)
        archive = box / f"package{suffix}"
        archive.write_bytes(archive_bytes)
        before = sorted(p.relative_to(box) for p in box.rglob("*"))
        try:
            extract_archive(archive, dest, max_bytes=10**6, max_files=100)
        except BadInputError as error:
            assert error.code in ("UNSAFE_ARCHIVE", "CORRUPT_ARCHIVE"), error.code
        after = sorted(p.relative_to(box) for p in box.rglob("*") if dest not in p.parents)
        assert [p for p in after if p != Path("deep/dest")] == before, "written outside"
        assert not (Path(tmp) / "outside").exists() and not (Path(tmp) / "z").exists()
        real_dest = os.path.realpath(dest)
        for folder, dirs, files in os.walk(dest):  # does not follow links
            for entry in dirs + files:
                path = os.path.join(folder, entry)
                mode = os.lstat(path).st_mode
                assert stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode), path
                if stat.S_ISLNK(mode):
                    pointed = os.path.realpath(os.path.join(folder, os.readlink(path)))
                    assert os.path.commonpath([pointed, real_dest]) == real_dest, (path, pointed)


@settings(max_examples=250, deadline=None)
@given(members=st.lists(member, min_size=1, max_size=6))
def test_tar_gz(members: list[tuple[str, int, str, bytes]]) -> None:
    outcome(tar_gz(members), ".tar.gz")


@settings(max_examples=250, deadline=None)
@given(members=st.lists(member, min_size=1, max_size=6))
def test_zip(members: list[tuple[str, int, str, bytes]]) -> None:
    outcome(zip_bytes(members), ".zip")


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=512), suffix=st.sampled_from([".zip", ".tar.gz"]))
def test_bytes_that_are_no_archive(data: bytes, suffix: str) -> None:
    outcome(data, suffix)
