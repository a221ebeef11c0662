"""Model pulls and a full disk (a 20 MiB tmpfs), and a pull killed half-way (a real
`voxnode models pull` process, SIGKILLed) that the next pull resumes with Range."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from voxnode.contracts.errors import StorageFullError
from voxnode.models.http_download import DownloadPolicy
from voxnode.models.model_catalog import ModelCatalog, ModelEntry
from voxnode.models.model_errors import InsufficientResourcesError
from voxnode.models.model_store import ModelStore
from voxnode.testing import eventually
from voxnode.testing.file_server import FileServer, ServedFile

BIG = os.urandom(30 * 2**20)
FAST = DownloadPolicy(stall_timeout_s=2.0, attempts=2, backoff_s=0.01)


def entry(url: str, data: bytes, *, size: int | None) -> dict[str, object]:
    return {
        "name": "mine", "kind": "llm", "format": "gguf", "licence": "test", "main": "m.gguf",
        "files": [{"name": "m.gguf", "size": size, "sha256": hashlib.sha256(data).hexdigest(),
                   "urls": [url]}],
    }  # fmt: skip


def test_a_disk_that_fills_mid_pull_gives_disk_full_and_keeps_nothing(small_disk: Path) -> None:
    """No size in the catalog, so nothing can be checked before: the write hits ENOSPC."""
    with FileServer({"/m.gguf": ServedFile(BIG)}) as server:
        model = ModelEntry.model_validate(entry(f"{server.url}/m.gguf", BIG, size=None))
        store = ModelStore(small_disk, ModelCatalog([model]), policy=FAST)
        with pytest.raises(StorageFullError) as caught:
            store.pull("mine")
    message = caught.value.message
    assert caught.value.code == "DISK_FULL", message
    assert str(small_disk / "mine" / "m.gguf.part") in message
    assert "needs 30.0 MiB" in message, message
    assert not store.state("mine").present
    assert sorted(p.name for p in (small_disk / "mine").iterdir()) == []
    assert len(server.requests) == 1  # a full disk is not retried


def test_a_known_size_that_does_not_fit_is_refused_before_the_first_byte(
    small_disk: Path,
) -> None:
    with FileServer({"/m.gguf": ServedFile(BIG)}) as server:
        model = ModelEntry.model_validate(entry(f"{server.url}/m.gguf", BIG, size=len(BIG)))
        store = ModelStore(small_disk, ModelCatalog([model]), policy=FAST)
        with pytest.raises(InsufficientResourcesError) as caught:
            store.pull("mine")
        assert server.requests == []
    assert caught.value.code == "DISK_FULL"
    assert "needs 30 MiB" in caught.value.message and str(small_disk) in caught.value.message


DATA = os.urandom(4 * 2**20)


def pull(home: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "voxnode.cli.main", "models", "pull", "mine", "--home", str(home)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("spoil", [False, True], ids=["resumes", "spoiled-part-is-refused"])
def test_a_pull_killed_half_way_resumes_at_the_next_pull(tmp_path: Path, spoil: bool) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    slow = ServedFile(DATA, delay_per_chunk_s=0.05)  # 64 KiB chunks: 64 of them, about 3 s
    with FileServer({"/m.gguf": slow}) as server:
        catalog = {"models": [entry(f"{server.url}/m.gguf", DATA, size=len(DATA))]}
        (home / "models" / "catalog.json").write_text(json.dumps(catalog))
        part = home / "models" / "mine" / "m.gguf.part"
        first = pull(home)
        try:
            eventually(lambda: part.exists() and part.stat().st_size > 2**20, timeout_s=30)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=10)
        kept = part.stat().st_size
        assert 0 < kept < len(DATA)
        if spoil:
            with open(part, "r+b") as handle:
                handle.write(b"\0" * 16)  # the first bytes are no longer the model's
        slow.delay_per_chunk_s = 0.0
        second = pull(home)
        out, err = second.communicate(timeout=60)
    assert server.requests[0] == ("/m.gguf", None)
    assert server.requests[1] == ("/m.gguf", f"bytes={kept}-"), server.requests
    target = home / "models" / "mine" / "m.gguf"
    if spoil:
        assert second.returncode == 1 and b"SHA256_MISMATCH" in err, err
        assert not target.exists() and not part.exists()
        return
    assert second.returncode == 0, err
    assert Path(out.decode().strip().splitlines()[-1]) == target
    assert target.read_bytes() == DATA and not part.exists()
    assert server.full_downloads("/m.gguf") == 1  # the second pull fetched only the rest
