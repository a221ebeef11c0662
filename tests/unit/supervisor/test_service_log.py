"""A service log's tail, read from the end, reaching into the rotated file."""

from __future__ import annotations

from pathlib import Path

from voxnode.supervisor.service_log import ServiceLog, log_path, read_tail


def test_the_tail_reaches_into_the_rotated_file(tmp_path: Path) -> None:
    path = log_path(tmp_path, "asr-a")
    log = ServiceLog(path, max_bytes=200, backups=2)
    for index in range(30):
        log.write("stdout", f"line {index}")
    log.close()
    assert path.with_name("asr-a.log.1").exists()  # rotated at least once
    assert read_tail(path, 3) == ["[stdout] line 27", "[stdout] line 28", "[stdout] line 29"]
    current = path.read_text().count("\n")
    wanted = current + 2
    tail = read_tail(path, wanted)
    assert len(tail) == wanted and tail[-1] == "[stdout] line 29"
    assert tail == [f"[stdout] line {i}" for i in range(30 - wanted, 30)]


def test_small_blocks_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    assert read_tail(path, 5) == []
    path.write_text("".join(f"{i:04d} some text\n" for i in range(500)))
    assert read_tail(path, 4, block=16) == [f"{i:04d} some text" for i in range(496, 500)]
    assert len(read_tail(path, 1000)) == 500
