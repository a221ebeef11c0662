"""disk_full_is_an_error on a real full disk (a 20 MiB tmpfs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voxnode.contracts.errors import StorageFullError
from voxnode.portability.disk_space import disk_full_is_an_error, free_bytes, require_free


def test_an_enospc_becomes_disk_full_after_the_clean_up(small_disk: Path) -> None:
    part = small_disk / "big.part"
    with (
        pytest.raises(StorageFullError) as caught,
        disk_full_is_an_error(
            part, what="writing big", needed=lambda: 30 * 2**20, clean_up=part.unlink
        ),
        open(part, "wb") as out,
    ):
        for _ in range(30):
            out.write(os.urandom(2**20))
            out.flush()
    assert caught.value.code == "DISK_FULL" and caught.value.status == 507
    assert str(part) in caught.value.message and "needs 30.0 MiB" in caught.value.message
    assert not part.exists()
    assert free_bytes(small_disk) > 19 * 2**20  # the space came back


def test_other_os_errors_pass_through(small_disk: Path) -> None:
    with pytest.raises(FileNotFoundError), disk_full_is_an_error(small_disk, what="x"):
        open(small_disk / "missing" / "f", "rb").close()


def test_require_free_refuses_before_the_first_byte(small_disk: Path) -> None:
    require_free(small_disk, 2**20, what="a small write")
    with pytest.raises(StorageFullError, match=r"a big write needs 30\.0 MiB on .*small-disk"):
        require_free(small_disk / "not-yet" / "here", 30 * 2**20, what="a big write")
