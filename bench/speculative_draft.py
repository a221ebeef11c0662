"""Speculative decoding for the translator on this CPU, measured once: llama-server with
Qwen2.5-Coder-1.5B alone against the same with Qwen2.5-Coder-0.5B as its draft
(`-md`, `--spec-draft-n-max`), the translator's own prompt (prompts.examples, greedy), the
same sentences both ways. Servers take turns (A, B, A, B) so that the machine's load falls
on both alike. Reports wall time per translation, generation tokens/s, and whether every
output is the same with and without the draft.

Also the prompt cache: llama-server's `timings.prompt_n` (tokens it had to evaluate) and
`cache_n` (taken from the slot's cache) for the second of two requests that share the
system prompt and the example turns.

Usage: python bench/speculative_draft.py [--rounds 2] [--draft-max 8] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from voxnode.engines.llama_server_binary import find_llama_server
from voxnode.services.translate.prompts import examples
from voxnode.supervisor.port_choice import free_port
from voxnode.testing.test_models import models_cache_dir

TARGET = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DRAFT = "qwen2.5-coder-0.5b-instruct-q4_k_m"
SENTENCES = [
    ("zh", "en", "我们明天需要翻译这份合同，请在周五之前发给我。"),
    ("zh", "en", "会议改到下午三点，地点在二楼的大会议室。"),
    ("zh", "en", "这个项目的预算已经超过了一百万元，我们必须重新评估。"),
    ("zh", "en", "如果明天下雨，我们就把活动推迟到下周六。"),
    ("en", "zh", "Please send me the contract before Friday."),
    ("en", "zh", "The meeting starts at three o'clock in the large conference room."),
    ("en", "zh", "If the shipment is late again, we will have to find another supplier."),
    ("en", "zh", "I don't think we can finish the report by tomorrow morning."),
]


def model_file(name: str, models_dir: Path) -> Path:
    return next((models_dir / name).glob("*.gguf"))


def start_server(
    models_dir: Path, draft: bool, draft_max: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [
        str(find_llama_server()), "-m", str(model_file(TARGET, models_dir)), "--host",
        "127.0.0.1", "--port", str(port), "-c", "4096", "-np", "1", "-t", "2", "--no-webui",
        "--no-repack",
    ]  # fmt: skip
    if draft:
        command += ["-md", str(model_file(DRAFT, models_dir)), "--spec-type", "draft-simple",
                    "--spec-draft-n-max", str(draft_max), "-td", "2"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("llama-server did not start")


def translate(url: str, src: str, tgt: str, text: str) -> dict[str, Any]:
    messages = [{"role": m.role, "content": m.content} for m in examples(text, src, tgt, None)]
    body = {"messages": messages, "temperature": 0.0, "max_tokens": 32 + len(text),
            "stop": ["\n"], "cache_prompt": True}  # fmt: skip
    started = time.perf_counter()
    answer = httpx.post(url + "/v1/chat/completions", json=body, timeout=300).json()
    wall = time.perf_counter() - started
    timings = answer.get("timings", {})
    return {
        "text": answer["choices"][0]["message"]["content"].strip(), "wall_s": wall,
        "predicted_per_second": timings.get("predicted_per_second"),
        "prompt_n": timings.get("prompt_n"), "cache_n": timings.get("cache_n"),
        "draft_n": timings.get("draft_n"), "draft_n_accepted": timings.get("draft_n_accepted"),
    }  # fmt: skip


def run_round(models_dir: Path, draft: bool, draft_max: int) -> list[dict[str, Any]]:
    process, url = start_server(models_dir, draft, draft_max)
    try:
        translate(url, "zh", "en", "你好。")  # warm up (and fill the prompt cache)
        return [translate(url, src, tgt, text) for src, tgt, text in SENTENCES]
    finally:
        process.terminate()
        process.wait(30)


def main(args: argparse.Namespace) -> dict[str, Any]:
    rows: dict[str, list[list[dict[str, Any]]]] = {"alone": [], "draft": []}
    for _ in range(args.rounds):
        for name in ("alone", "draft"):
            rows[name].append(run_round(args.models_dir, name == "draft", args.draft_max))
    report: dict[str, Any] = {}
    for name, rounds in rows.items():
        every = [row for one in rounds for row in one]
        report[name] = {
            "translations": len(every),
            "wall_s_median": round(statistics.median(r["wall_s"] for r in every), 3),
            "wall_s_total": round(sum(r["wall_s"] for r in every), 2),
            "gen_tok_s_median": round(statistics.median(
                r["predicted_per_second"] for r in every if r["predicted_per_second"]), 2),
            "prompt_n_median": statistics.median(r["prompt_n"] or 0 for r in every),
            "cache_n_median": statistics.median(r["cache_n"] or 0 for r in every),
        }  # fmt: skip
        if name == "draft":
            drafted = sum(r["draft_n"] or 0 for r in every)
            accepted = sum(r["draft_n_accepted"] or 0 for r in every)
            report[name]["draft_acceptance"] = round(accepted / drafted, 3) if drafted else None
    alone = [r["text"] for one in rows["alone"] for r in one]
    draft = [r["text"] for one in rows["draft"] for r in one]
    report["same_output"] = sum(a == b for a, b in zip(alone, draft, strict=True))
    report["outputs"] = len(alone)
    report["speedup_wall"] = round(
        report["alone"]["wall_s_total"] / report["draft"]["wall_s_total"], 3
    )
    report["examples"] = [
        {"alone": a, "draft": b} for a, b in zip(alone[:8], draft[:8], strict=True)
    ]
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--draft-max", type=int, default=8)
    parser.add_argument("--models-dir", type=Path, default=models_cache_dir())
    print(json.dumps(main(parser.parse_args()), indent=2, ensure_ascii=False))
