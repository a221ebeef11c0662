"""A knowledge base on embedded ChromaDB with real e5 vectors: import, incremental
re-import, hybrid and cross-language queries, deletes, and visibility during imports."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import KnowledgeSettings
from voxnode.knowledge.document_readers import read_documents
from voxnode.knowledge.knowledge_base import ImportFailedError
from voxnode.knowledge.knowledge_manager import open_knowledge
from voxnode.knowledge.source_document import Section, SourceDocument
from voxnode.testing.in_process_embedder import GatedEmbedder, InProcessEmbedder

pytestmark = pytest.mark.anyio
RECORDS = [
    {
        "id": "refund",
        "title": "退款政策",
        "text": "订单签收后七天内可以申请全额退款，退款在五个工作日内原路退回。",
    },
    {
        "id": "hours",
        "title": "客服时间",
        "text": "人工客服的服务时间是每天上午九点到晚上九点，节假日照常。",
    },
    {
        "id": "shipping",
        "title": "Shipping",
        "text": "Orders ship from the Shenzhen warehouse within 48 hours.",
    },
    {
        "id": "vpn",
        "title": "VPN setup",
        "text": "Install the OneSuite VPN client, then sign in with your staff number.",
    },
]


def records(rows: list[dict[str, str]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False).encode()


def long_document(doc_id: str, marker: str, sentences: int = 24) -> SourceDocument:
    text = " ".join(
        f"Clause {i}: the {marker} procedure covers step {i} of the audit."
        for i in range(sentences)
    )
    return SourceDocument(doc_id, f"{marker} manual", "manual.txt", (Section("", text),))


async def test_import_query_reimport_replace_and_delete(
    kb_settings: KnowledgeSettings, tmp_path: Path
) -> None:
    async with open_knowledge(kb_settings, tmp_path, embedder=InProcessEmbedder()) as kb:
        await kb.create("support", description="customer service")
        base = await kb.get("support")
        steps = []
        report = await base.import_documents(
            read_documents("faq.json", records(RECORDS)), progress=steps.append
        )
        assert (report.added, report.chunks, report.unchanged) == (4, 4, 0)
        assert steps[-1].documents_done == steps[-1].documents_total == 4

        hits = await base.query("多久能收到退款？", top_k=2)
        assert hits[0].doc_id == "refund" and hits[0].title == "退款政策"
        assert hits[0].source == "faq.json#0" and hits[0].position == 0
        assert hits[0].cosine > hits[1].cosine and hits[0].score > hits[1].score
        cross = await base.query("How long does a refund take?", top_k=1)
        assert cross[0].doc_id == "refund"  # an English question finds the Chinese passage
        back = await base.query("怎么安装VPN客户端？", top_k=1)
        assert back[0].doc_id == "vpn"  # and a Chinese question the English one
        assert (await base.query("How long does a refund take?", top_k=4, min_cosine=0.99)) == []

        again = await base.import_documents(read_documents("faq.json", records(RECORDS)))
        assert (again.added, again.replaced, again.unchanged, again.chunks) == (0, 0, 4, 0)
        edited = [
            *RECORDS[:1],
            {**RECORDS[1], "text": "人工客服的服务时间改为每天早上八点到晚上十点。"},
            *RECORDS[2:],
        ]
        changed = await base.import_documents(read_documents("faq.json", records(edited)))
        assert (changed.replaced, changed.unchanged) == (1, 3)
        [hours] = await base.query("客服几点上班？", top_k=1)
        assert "早上八点" in hours.text
        assert base.chunk_count == 4 and len(base.documents) == 4

        started = time.monotonic()
        assert await base.delete_document("vpn")
        delete_doc_s = time.monotonic() - started
        assert not await base.delete_document("vpn")
        assert all(h.doc_id != "vpn" for h in await base.query("VPN client sign in", top_k=4))
        summary = await kb.summary("support")
        assert (summary.documents, summary.chunks, summary.embedding_model) == (
            3,
            3,
            "multilingual-e5-small-q4",
        )
        assert summary.languages == {"zh": 0.667, "en": 0.333}

        big = [long_document(f"m{i}", f"topic{i}", sentences=40) for i in range(5)]
        await base.import_documents(big)
        started = time.monotonic()
        await kb.delete("support")
        delete_base_s = time.monotonic() - started
        assert await kb.names() == []
        with pytest.raises(VoxnodeError) as gone:
            await kb.get("support")
        assert gone.value.code == "UNKNOWN_KB"
    doc_ms, base_ms = delete_doc_s * 1000, delete_base_s * 1000
    print(f"delete: one document {doc_ms:.0f} ms, a base of 8 documents {base_ms:.0f} ms")
    assert delete_doc_s < 2 and delete_base_s < 2


async def test_a_query_during_an_import_never_sees_a_half_indexed_document(
    kb_settings: KnowledgeSettings, tmp_path: Path
) -> None:
    embedder = GatedEmbedder(stop_at=0)
    small = kb_settings.model_copy(update={"chunk_tokens": 64, "chunk_overlap_tokens": 16})
    async with open_knowledge(small, tmp_path, embedder=embedder) as kb:
        await kb.create("manuals")
        base = await kb.get("manuals")
        await base.import_documents([long_document("audit", "old")])
        served = base.chunk_count
        assert served >= 8  # two embedding batches or more: written in steps
        embedder.stop_at = embedder.passage_calls + 2  # the second batch of the next import

        importing = asyncio.create_task(base.import_documents([long_document("audit", "new")]))
        await embedder.reached.wait()  # the new version's first batch is written, pending
        await asyncio.sleep(0)
        store_chunks = await base.stored_chunk_count()
        assert store_chunks > served  # the new version's first batch is in ChromaDB already
        for mode in ("hybrid", "dense", "keyword"):
            hits = await base.query("new procedure audit step", top_k=20, mode=mode)
            assert hits and all("old procedure" in h.text for h in hits), mode
        assert base.chunk_count == served

        embedder.release.set()
        report = await importing
        assert report.replaced == 1
        hits = await base.query("new procedure audit step", top_k=20)
        assert hits and all("new procedure" in h.text for h in hits)
        assert await base.stored_chunk_count() == base.chunk_count


async def test_a_failed_import_keeps_the_old_version_and_a_crash_leaves_no_trace(
    kb_settings: KnowledgeSettings, tmp_path: Path
) -> None:
    failing = GatedEmbedder(stop_at=0, fail=True)
    small = kb_settings.model_copy(update={"chunk_tokens": 64, "chunk_overlap_tokens": 16})
    async with open_knowledge(small, tmp_path, embedder=failing) as kb:
        await kb.create("manuals")
        base = await kb.get("manuals")
        await base.import_documents([long_document("audit", "old")])
        served = base.chunk_count
        failing.stop_at = failing.passage_calls + 2
        with pytest.raises(ImportFailedError) as failed:
            await base.import_documents([long_document("audit", "new")])
        assert "'audit' failed: the embedding service went away" in failed.value.message
        assert failed.value.category == "transient"
        hits = await base.query("procedure audit", top_k=20)
        assert hits and all("old procedure" in h.text for h in hits)
        assert await base.stored_chunk_count() == served
        # a crash mid-import: pending chunks, and live-marked ones no catalog record names
        store = base._store
        vector = (
            await failing.inner.embed(["x"], input_type="passage", deadline=time.monotonic() + 60)
        ).vectors  # type: ignore[arg-type]
        for state in ("pending", "live"):
            meta = {
                "doc_id": "audit",
                "gen": f"crash-{state}",
                "state": state,
                "title": "new",
                "position": 0,
            }
            await asyncio.to_thread(
                store.add_chunks,
                "manuals",
                [f"audit#crash-{state}#0"],
                vector,
                ["new procedure crash"],
                [meta],
            )

    async with open_knowledge(small, tmp_path, embedder=InProcessEmbedder()) as kb:
        base = await kb.get("manuals")  # opening removes what no catalog record serves
        assert base.chunk_count == served
        assert await base.stored_chunk_count() == served
        hits = await base.query("new procedure crash", top_k=20)
        assert hits and all("old procedure" in h.text for h in hits)


async def test_a_base_answers_only_to_the_model_it_was_built_with(
    kb_settings: KnowledgeSettings, tmp_path: Path
) -> None:
    async with open_knowledge(kb_settings, tmp_path, embedder=InProcessEmbedder()) as kb:
        await kb.create("kb1")
        await (await kb.get("kb1")).import_documents(read_documents("faq.json", records(RECORDS)))
    other = GatedEmbedder(stop_at=0, model="another-model")
    async with open_knowledge(kb_settings, tmp_path, embedder=other) as kb:
        with pytest.raises(VoxnodeError) as caught:
            await (await kb.get("kb1")).query("退款", top_k=1)
        assert caught.value.code == "EMBEDDING_MODEL_MISMATCH"
        with pytest.raises(VoxnodeError) as exists:
            await kb.create("kb1")
        assert exists.value.code == "KB_EXISTS"
        with pytest.raises(VoxnodeError) as bad:
            await kb.create("Bad Name")
        assert bad.value.code == "BAD_KB_NAME"
