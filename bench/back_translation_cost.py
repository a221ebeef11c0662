"""What a back-translation scoring costs against a translation, through a running node:
for each conversational sentence (zh -> en), the plain prompt's answer
(`/v1/chat/completions`, greedy) and the source scored as the answer to translating that
answer back (`/v1/score` with the plain prompt's messages, as the translator's
back-translation asks); p50 of each, and the answers' token count.

Usage: python bench/back_translation_cost.py --node http://127.0.0.1:8700 [--limit 12]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import httpx

from voxnode.services.translate.prompts import plain

REPO = Path(__file__).resolve().parents[1]


def messages(text: str, src: str, tgt: str) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in plain(text, src, tgt, None)]


def main(args: argparse.Namespace) -> dict[str, float]:
    lines = (REPO / "data" / "mt_talk_zh_en.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line][: args.limit]
    client = httpx.Client(base_url=args.node, timeout=120)
    generate_ms, score_ms, tokens = [], [], []
    for row in rows:
        started = time.monotonic()
        body = {"model": "default", "messages": messages(row["zh"], "zh", "en"),
                "max_tokens": 96, "temperature": 0}  # fmt: skip
        reply = client.post("/v1/chat/completions", json=body).raise_for_status().json()
        generate_ms.append((time.monotonic() - started) * 1000)
        tokens.append(reply["usage"]["completion_tokens"])
        answer = reply["choices"][0]["message"]["content"]
        started = time.monotonic()
        body = {"model": "default", "texts": [row["zh"]], "messages": messages(answer, "en", "zh")}
        client.post("/v1/score", json=body).raise_for_status()
        score_ms.append((time.monotonic() - started) * 1000)
    return {
        "rows": len(rows), "generate_ms_p50": round(statistics.median(generate_ms)),
        "answer_tokens_p50": statistics.median(tokens),
        "score_ms_p50": round(statistics.median(score_ms)),
    }  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--node", default="http://127.0.0.1:8700")
    parser.add_argument("--limit", type=int, default=12)
    print(json.dumps(main(parser.parse_args())))
