"""Which of two translations a back-translation score picks, replayed on saved answers.

Reads the report of `voxnode eval translate --json --answers` (each row's node answer and
yardstick answer) and asks the node's `/v1/score` how likely each answer makes the source
when the model translates it back (the plain prompt, reversed: the source as the
assistant's reply, `messages`). It prints chrF for the node's answers, the yardstick's, the
one with the likelier source (the translator's back-translation rule), and the better of the
two by sentence chrF against the reference (an oracle no rule can beat). With the rows'
quality estimates (in reports since they carry them), also the choice made only in each
share (GATES) of the rows with the lowest estimates. This chose the
rule; `voxnode eval translate` with VOXNODE_NMT_BACK_TRANSLATE=on measures the translator
that asks both prompts itself; with VOXNODE_NMT_BACK_TRANSLATE_SHARE, the gated one.

Usage: python bench/back_translation_choice.py REPORT.json --direction zh-en
    [--node http://127.0.0.1:8700] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import httpx
import sacrebleu

from voxnode.services.translate.prompts import plain

REPO = Path(__file__).resolve().parents[1]
GATES = (0.1, 0.2, 0.25, 0.33, 0.4, 0.5, 0.75)
"""Shares of the least confident rows in which a gated translator would back-translate."""


def back_score(client: httpx.Client, source: str, answer: str, src: str, tgt: str) -> float:
    messages = [{"role": m.role, "content": m.content} for m in plain(answer, tgt, src, None)]
    response = client.post("/v1/score", json={"texts": [source], "messages": messages})
    response.raise_for_status()
    return float(response.json()["scores"][0])


def chrf(hypotheses: list[str], references: list[str]) -> float:
    return round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2)


def gated(rows: list[dict[str, Any]], chosen: list[str], share: float) -> list[str]:
    """The back-translation choice in the `share` of rows with the lowest quality estimates,
    the node's answer in the others (a translator that asks the second prompt only when it
    is less sure than usual)."""
    order = sorted(range(len(rows)), key=lambda i: rows[i].get("quality") or 0.0)
    unsure = set(order[: round(share * len(rows))])
    return [c if i in unsure else row["node"]
            for i, (row, c) in enumerate(zip(rows, chosen, strict=True))]  # fmt: skip


def main(args: argparse.Namespace) -> dict[str, Any]:
    src, tgt = args.direction.split("-")
    rows = json.loads(args.report.read_text("utf-8"))["answers"]
    references = [row["ref"] for row in rows]
    chosen, oracle, differ = [], [], 0
    with httpx.Client(base_url=args.node, timeout=600, trust_env=False) as client:
        for row in rows:
            node, yardstick = row["node"], row["yardstick"]
            pair = [text for text in (node, yardstick) if text.strip()]
            if len(set(pair)) == 2:
                differ += 1
                backs = [back_score(client, row["src"], text, src, tgt) for text in pair]
                chosen.append(pair[backs.index(max(backs))])
            else:
                chosen.append(pair[0] if pair else "")
            oracle.append(max((node, yardstick), key=lambda h: sacrebleu.sentence_chrf(
                h, [row["ref"]]).score))  # fmt: skip
    report = {
        "rows": len(rows), "answers_differ": differ,
        "chrf": {
            "node": chrf([row["node"] for row in rows], references),
            "yardstick": chrf([row["yardstick"] for row in rows], references),
            "back_translation_choice": chrf(chosen, references),
            "oracle": chrf(oracle, references),
        },
        # the choice made only in the least confident rows: chrF per share of rows
        "gated_by_quality": {
            str(share): chrf(gated(rows, chosen, share), references) for share in GATES
        } if all("quality" in row for row in rows) else None,
        "chosen": chosen,
    }  # fmt: skip
    print(json.dumps({k: v for k, v in report.items() if k != "chosen"}))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("report", type=Path, help="voxnode eval translate --json --answers")
    parser.add_argument("--direction", required=True, choices=["zh-en", "en-zh"])
    parser.add_argument("--node", default="http://127.0.0.1:8700")
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results" / "back_translation_choice.json"
    )
    arguments = parser.parse_args()
    result = main(arguments)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=1))
