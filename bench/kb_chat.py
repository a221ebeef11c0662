"""Retrieval chat on the dev sets, through a real node (embed-e5, llm-local with the default
Qwen2.5-Coder-1.5B), against the same model asked the same questions with no passages
(closed book), in one run.

Per set: a base of the passages the first N questions need plus as many others (distractors);
each question asked through POST /v1/kb/{name}/chat (temperature 0) and POST
/v1/chat/completions with the question alone. Figures: answer contains a reference answer
(case-insensitive substring), the gold passage was retrieved into the prompt, the answer
cites the gold passage (the model's markers and the node's added ones; the model's alone;
the node added a marker to another passage), cites anything at all, markers that named no
passage; latency p50.
Results: bench/results/kb_chat.json.

Usage: python bench/kb_chat.py [--questions 15] [--top-k 3] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from voxnode.testing import run_node_process, wait_state
from voxnode.testing.node_runner import RunningNode
from voxnode.testing.test_models import models_cache_dir

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SETS = {"zh": "rag_cmrc_trial_zh", "en": "rag_squad_a_en"}
MAX_TOKENS = 160
"""Per answer, both ways (a CPU generates about 16 tokens/s)."""


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def base_of(name: str, questions: list[dict[str, Any]], folder: Path) -> Path:
    corpus = rows(DATA / f"{name}.corpus.jsonl")
    wanted = {q["doc_id"] for q in questions}
    gold = [p for p in corpus if p["id"] in wanted]
    others = [p for p in corpus if p["id"] not in wanted][: len(gold)]
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in gold + others))
    return path


def contains_answer(text: str, answers: list[str]) -> bool:
    return any(a.strip().lower() in text.lower() for a in answers if a.strip())


def run_set(node: RunningNode, lang: str, questions: int, top_k: int, scratch: Path) -> dict:
    name = SETS[lang]
    asked = rows(DATA / f"{name}.queries.jsonl")[:questions]
    with node.client(timeout_s=3600) as api:
        assert api.post("/v1/kb", json={"name": f"chat-{lang}"}).status_code == 201
        started = time.monotonic()
        imported = api.post(
            f"/v1/kb/chat-{lang}/import", json={"path": str(base_of(name, asked, scratch))}
        )
        assert imported.status_code == 200, imported.text
        import_s = time.monotonic() - started
        results = []
        for question in asked:
            began = time.monotonic()
            body = {"question": question["question"], "top_k": top_k, "temperature": 0,
                    "max_tokens": MAX_TOKENS}  # fmt: skip
            grounded = api.post(f"/v1/kb/chat-{lang}/chat", json=body)
            assert grounded.status_code == 200, grounded.text
            chat_s = time.monotonic() - began
            answer = grounded.json()
            began = time.monotonic()
            closed = api.post("/v1/chat/completions", json={
                "messages": [{"role": "user", "content": question["question"]}],
                "temperature": 0, "max_tokens": MAX_TOKENS,
            }).json()["choices"][0]["message"]["content"]  # fmt: skip
            closed_s = time.monotonic() - began
            gold = [c for c in answer["citations"] if c["doc_id"] == question["doc_id"]]
            results.append({
                "id": question["id"], "answer": answer["answer"], "closed_book": closed,
                "correct": contains_answer(answer["answer"], question["answers"]),
                "closed_correct": contains_answer(closed, question["answers"]),
                "gold_in_prompt": bool(gold), "cites_gold": any(c["cited"] for c in gold),
                "model_cites_gold": any(c["cited"] and not c["attributed"] for c in gold),
                "wrongly_attributed": any(c["attributed"] for c in answer["citations"]
                                          if c["doc_id"] != question["doc_id"]),
                "cites_any": any(c["cited"] for c in answer["citations"]),
                "dropped_markers": len(answer["dropped_markers"]),
                "chat_s": round(chat_s, 3), "retrieval_ms": answer["retrieval_ms"],
                "closed_s": round(closed_s, 3),
            })  # fmt: skip
            print(lang, question["id"], results[-1]["correct"], results[-1]["closed_correct"],
                  results[-1]["cites_gold"], flush=True)  # fmt: skip
    count = len(results)

    def share(key: str) -> float:
        return round(sum(r[key] for r in results) / count, 3)

    return {
        "questions": count, "passages": imported.json()["added"], "import_s": round(import_s, 1),
        "answer_contains_reference": share("correct"),
        "closed_book_contains_reference": share("closed_correct"),
        "gold_passage_in_prompt": share("gold_in_prompt"), "cites_gold": share("cites_gold"),
        "model_cites_gold": share("model_cites_gold"),
        "wrongly_attributed": share("wrongly_attributed"), "cites_any": share("cites_any"),
        "answers_with_dropped_markers": sum(r["dropped_markers"] > 0 for r in results),
        "chat_s_p50": round(statistics.median(r["chat_s"] for r in results), 3),
        "closed_s_p50": round(statistics.median(r["closed_s"] for r in results), 3),
        "rows": results,
    }  # fmt: skip


def main(args: argparse.Namespace) -> dict[str, Any]:
    env = {"VOXNODE_MODELS__DIR": str(args.models_dir)}
    with (
        tempfile.TemporaryDirectory() as scratch,
        run_node_process(Path(scratch) / "home", env=env) as node,
    ):
        with node.client(timeout_s=900) as api:
            for package in ("embed-e5", "llm-local"):
                source = str(REPO / "packages" / package)
                assert api.post("/v1/services", json={"source": source}).status_code == 201
            for package in ("embed-e5", "llm-local"):
                wait_state(api, package, "ready", timeout_s=900)
        return {lang: run_set(node, lang, args.questions, args.top_k, Path(scratch))
                for lang in args.sets.split(",")}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=15)
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--sets", default="zh,en")
    parser.add_argument("--models-dir", type=Path, default=models_cache_dir())
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "kb_chat.json")
    arguments = parser.parse_args()
    report = main(arguments)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    for lang, figures in report.items():
        print(lang, json.dumps({k: v for k, v in figures.items() if k != "rows"}))
