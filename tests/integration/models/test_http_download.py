"""Resumable downloads against a real loopback server that cuts, stalls and lies."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from voxnode.contracts.errors import NotFoundError
from voxnode.models.http_download import DownloadPolicy, download, part_path
from voxnode.models.model_errors import ChecksumError, DownloadError
from voxnode.testing.file_server import FileServer, ServedFile

DATA = os.urandom(3 * 1024 * 1024 + 17)
SHA = hashlib.sha256(DATA).hexdigest()
FAST = DownloadPolicy(stall_timeout_s=1.0, attempts=4, backoff_s=0.01)


def test_a_cut_connection_is_resumed_with_range(tmp_path: Path) -> None:
    with FileServer({"/m.bin": ServedFile(DATA, cut_after=1_000_000, cut_times=2)}) as server:
        target = tmp_path / "m.bin"
        download(f"{server.url}/m.bin", target, size=len(DATA), sha256=SHA, policy=FAST)
    assert target.read_bytes() == DATA
    assert not part_path(target).exists()
    ranges = [r for _, r in server.requests]
    assert ranges == [None, "bytes=1000000-", "bytes=2000000-"]


def test_a_part_left_by_a_killed_process_is_resumed(tmp_path: Path) -> None:
    target = tmp_path / "m.bin"
    part_path(target).write_bytes(DATA[:123_456])
    with FileServer({"/m.bin": ServedFile(DATA)}) as server:
        download(f"{server.url}/m.bin", target, size=len(DATA), sha256=SHA, policy=FAST)
    assert target.read_bytes() == DATA
    assert server.requests == [("/m.bin", "bytes=123456-")]


def test_a_stalled_server_is_dropped_and_resumed(tmp_path: Path) -> None:
    with FileServer({"/m.bin": ServedFile(DATA, stall_s=3.0)}) as server:
        target = tmp_path / "m.bin"
        download(f"{server.url}/m.bin", target, size=len(DATA), sha256=SHA, policy=FAST)
    assert target.read_bytes() == DATA
    assert len(server.requests) == 2


def test_a_server_that_ignores_range_starts_over_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "m.bin"
    part_path(target).write_bytes(b"garbage that is not the start of the file")
    with FileServer({"/m.bin": ServedFile(DATA, ignore_range=True)}) as server:
        download(f"{server.url}/m.bin", target, size=len(DATA), sha256=SHA, policy=FAST)
    assert target.read_bytes() == DATA


def test_wrong_bytes_are_refused_and_deleted(tmp_path: Path) -> None:
    evil = bytearray(DATA)
    evil[1000] ^= 0xFF
    with FileServer({"/m.bin": ServedFile(bytes(evil))}) as server:
        target = tmp_path / "m.bin"
        with pytest.raises(ChecksumError, match="sha256"):
            download(f"{server.url}/m.bin", target, size=len(DATA), sha256=SHA, policy=FAST)
    assert not target.exists()
    assert not part_path(target).exists()


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    with FileServer({"/m.bin": ServedFile(DATA[:-10])}) as server:
        target = tmp_path / "m.bin"
        with pytest.raises(ChecksumError, match="expected"):
            download(f"{server.url}/m.bin", target, size=None, sha256=SHA, policy=FAST)
    assert not target.exists()


def test_404_is_not_retried(tmp_path: Path) -> None:
    with FileServer() as server, pytest.raises(NotFoundError):
        download(f"{server.url}/nope", tmp_path / "x", size=None, sha256=SHA, policy=FAST)
    assert len(server.requests) == 1


def test_a_server_that_always_cuts_gives_up_with_a_clear_error(tmp_path: Path) -> None:
    with FileServer({"/m.bin": ServedFile(DATA, cut_after=10, cut_times=100)}) as server:
        target = tmp_path / "m.bin"
        with pytest.raises(DownloadError, match="gave up after 4 attempts"):
            download(f"{server.url}/m.bin", target, size=len(DATA), sha256=SHA, policy=FAST)
    assert not target.exists()
    assert part_path(target).stat().st_size == 40  # kept: the next pull resumes from here
