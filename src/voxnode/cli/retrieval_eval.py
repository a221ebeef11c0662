"""`voxnode eval retrieval --corpus C.jsonl --queries Q.jsonl [--kb NAME]`: import a corpus
into a knowledge base (a temporary one unless --kb names one), ask every question in each
mode asked for, print recall@1, recall@5, MRR@5, query latency p50/p95 and ingest
throughput. Through the running node's API when there is one, else in this process (the
same KnowledgeManager; the home's embedding service is started on demand)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import typer

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, settings_for
from voxnode.cli.kb_access import KbAccess, open_kb_access
from voxnode.cli.node_client import find_node
from voxnode.contracts.errors import BadInputError
from voxnode.contracts.knowledge import KbCreateRequest, KbImportRequest, KbQueryRequest
from voxnode.evaluation.retrieval_metrics import (
    RetrievalQuery,
    RetrievalScore,
    count_corpus,
    distinct_documents,
    load_queries,
)

MODES = ("hybrid", "dense", "keyword")
HITS_PER_QUERY = 20
"""Chunks asked for per question; recall counts the distinct documents among them."""


async def run_retrieval_eval(
    access: KbAccess, corpus: Path, queries: list[RetrievalQuery], *, base: str | None,
    modes: list[str],
) -> dict[str, Any]:  # fmt: skip
    passages = count_corpus(corpus)
    name = base or f"eval-{uuid.uuid4().hex[:8]}"
    if base is None or name not in {b.name for b in await access.bases()}:
        await access.create(KbCreateRequest(name=name, description=f"eval of {corpus.name}"))
    try:
        started = time.monotonic()
        report = await access.import_file(name, KbImportRequest(path=str(corpus)), None)
        ingest_s = time.monotonic() - started
        results: dict[str, Any] = {}
        for mode in modes:
            score = RetrievalScore()
            for query in queries:
                body = KbQueryRequest.model_validate(
                    {"query": query.question, "top_k": HITS_PER_QUERY, "mode": mode}
                )
                asked = time.monotonic()
                answer = await access.query(name, body)
                latency_ms = (time.monotonic() - asked) * 1000
                ranking = distinct_documents([hit.doc_id for hit in answer.hits])
                score.add(ranking, query.doc_id, latency_ms)
            results[mode] = score.summary()
    finally:
        if base is None:
            await access.delete(name)
    return {
        "corpus": str(corpus), "passages": passages, "chunks": report.chunks,
        "ingest_s": round(ingest_s, 2),
        "ingest_passages_per_s": round(report.added / ingest_s, 2) if report.added else None,
        "imported": {"added": report.added, "replaced": report.replaced,
                     "unchanged": report.unchanged},
        "modes": results,
    }  # fmt: skip


@cli_errors
def eval_retrieval(
    corpus: Path = typer.Option(..., help="JSON Lines passages: id, title, text"),
    queries: Path = typer.Option(..., help="JSON Lines questions: id, question, doc_id"),
    kb: str | None = typer.Option(None, "--kb", help="Import into (and keep) this base"),
    modes: str = typer.Option("hybrid", help="Comma-separated: hybrid, dense, keyword"),
    limit: int | None = typer.Option(None, help="Only the first N questions"),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """Recall@1/@5, MRR@5, query latency p50/p95 and ingest passages/s on a retrieval set."""
    wanted = [m.strip() for m in modes.split(",") if m.strip()]
    if not wanted or any(m not in MODES for m in wanted):
        raise BadInputError(f"--modes: any of {', '.join(MODES)}", code="BAD_MODE")
    questions = load_queries(queries, limit)
    settings = settings_for(home)
    node = find_node(settings.home)

    corpus_path = corpus.resolve()

    async def run() -> dict[str, Any]:
        async with open_kb_access(settings, node.url if node else None) as access:
            return await run_retrieval_eval(access, corpus_path, questions, base=kb, modes=wanted)

    summary = asyncio.run(run())
    summary["queries"] = str(queries)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"ingest  {summary['passages']} passages, {summary['chunks']} chunks in "
        f"{summary['ingest_s']} s ({summary['ingest_passages_per_s']} passages/s)"
    )
    for mode, figures in summary["modes"].items():
        latency = figures["latency_ms"] or {}
        typer.echo(
            f"{mode:8} recall@1 {figures['recall@1']:.3f}  recall@5 {figures['recall@5']:.3f}  "
            f"MRR@5 {figures['mrr@5']:.3f}  latency p50 {latency.get('p50')} ms "
            f"p95 {latency.get('p95')} ms  ({figures['queries']} questions)"
        )
