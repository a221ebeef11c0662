"""Client/server mode: knowledge bases kept by a real `chroma run` server the test starts."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from voxnode.contracts.node_settings import KnowledgeSettings
from voxnode.knowledge.document_readers import read_documents
from voxnode.knowledge.knowledge_manager import open_knowledge
from voxnode.testing import free_port
from voxnode.testing.in_process_embedder import InProcessEmbedder

pytestmark = pytest.mark.anyio


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if chroma is None:
        pytest.skip("the chroma command (chromadb) is not installed")
    port = free_port()
    log = tmp_path / "chroma.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [chroma, "run", "--path", str(tmp_path / "server-data"), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_for_heartbeat(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text(errors="replace")[-2000:]
            try:
                if client.get(url + "/api/v2/heartbeat").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise AssertionError(f"chroma run did not answer: {log.read_text(errors='replace')[-2000:]}")


async def test_bases_live_in_the_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    settings = KnowledgeSettings(chroma_url=chroma_url)
    rows = b'[{"id": "a", "title": "Refunds", "text": "Refunds take five working days."},' \
           b' {"id": "b", "title": "Hours", "text": "The help desk opens at nine."}]'  # fmt: skip
    async with open_knowledge(settings, tmp_path / "home", embedder=InProcessEmbedder()) as kb:
        await kb.create("served")
        report = await (await kb.get("served")).import_documents(read_documents("f.json", rows))
        assert report.added == 2
    assert not (tmp_path / "home" / "knowledge").exists()  # nothing embedded on this side
    async with open_knowledge(settings, tmp_path / "home", embedder=InProcessEmbedder()) as kb:
        assert await kb.names() == ["served"]
        base = await kb.get("served")
        [hit] = await base.query("退款要多久？", top_k=1)
        assert (hit.doc_id, hit.title) == ("a", "Refunds")
        assert await base.delete_document("b")
        assert (await kb.summary("served")).documents == 1
        await kb.delete("served")
        assert await kb.names() == []
