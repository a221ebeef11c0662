"""`voxnode eval translate`: a dev set through the node's translation, scored, next to the
yardstick measured in the same run: the same model asked with a plain one-line prompt.

Each row is a text job (`POST /v1/jobs`, no repair, no speech, a session of its own), so
what is measured is what the pipeline translates. The yardstick goes to the node's OpenAI
face (`POST /v1/chat/completions`, the model the node hosts, greedy) with the line
"Translate the following <Src> text into <Tgt>: <text>", and its answer's first line.
Without a running node (or --node) the command runs a local node on the home's packages.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import typer

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, settings_for
from voxnode.cli.local_node import local_node
from voxnode.cli.node_client import find_node
from voxnode.contracts.languages import language_name
from voxnode.contracts.service_manifest import ServiceType
from voxnode.evaluation.translation_metrics import (
    TranslationRow,
    TranslationScore,
    load_translation_set,
)

Post = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
Run = Callable[[Post], Awaitable[dict[str, Any]]]


def yardstick_body(text: str, src: str, tgt: str, model: str) -> dict[str, Any]:
    line = f"Translate the following {language_name(src)} text into {language_name(tgt)}: {text}"
    return {
        "model": model, "messages": [{"role": "user", "content": line}], "temperature": 0.0,
        "max_tokens": min(32 + len(text), 600),
    }  # fmt: skip


def eval_session(run: str, src: str, tgt: str, index: int) -> str:
    """A session of its own for every row of every run and direction: a node that puts the
    session's previous sentence into the prompt (VOXNODE_NMT_USE_CONTEXT) must never see
    another row, least of all the same sentence in the other direction, which is this row's
    reference. (Sessions named by row alone did that when zh-en and en-zh ran on one node.)"""
    return f"eval-{run}-{src}-{tgt}-{index}"


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


async def score_set(
    post: Post, rows: list[TranslationRow], src: str, tgt: str, model: str, yardstick: bool
) -> dict[str, Any]:
    """The summary of both, and `answers`: each row's source, reference, the node's answer
    with its reason codes and quality estimate, and the yardstick's answer."""
    node, plain = TranslationScore(tgt), TranslationScore(tgt)
    answers: list[dict[str, Any]] = []
    run = uuid.uuid4().hex[:8]
    for index, row in enumerate(rows):
        started = time.monotonic()
        job = await post("/v1/jobs", {
            "src_lang": src, "tgt_lang": tgt, "text": row.src, "want_repair": False,
            "want_audio": False, "session_id": eval_session(run, src, tgt, index),
        })  # fmt: skip
        codes = job.get("reason_codes") or []
        node.add(
            row.src, row.ref, job.get("text_translated") or "",
            latency_ms=job["timings"]["nmt_ms"] or (time.monotonic() - started) * 1000,
            quality=job.get("translation_quality"),
            low_confidence="TRANSLATION_LOW_CONFIDENCE" in codes,
            guard_failed=any(c.startswith("TRANSLATION_") for c in codes),
        )  # fmt: skip
        answers.append({"src": row.src, "ref": row.ref, "node": node.hypotheses[-1],
                        "codes": codes, "quality": job.get("translation_quality")})  # fmt: skip
        if yardstick:
            started = time.monotonic()
            answer = await post("/v1/chat/completions", yardstick_body(row.src, src, tgt, model))
            text = first_line(answer["choices"][0]["message"]["content"])
            plain.add(row.src, row.ref, text, latency_ms=(time.monotonic() - started) * 1000)
            answers[-1]["yardstick"] = text
    summary: dict[str, Any] = {"node": node.summary(), "answers": answers}
    if yardstick:
        summary["yardstick"] = plain.summary()
        summary["chrf_over_yardstick"] = round(
            summary["node"]["chrf"] - summary["yardstick"]["chrf"], 2
        )
    return summary


async def _over_http(url: str, run: Run, token: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=600, trust_env=False
    ) as http:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await http.post(path, json=body)
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
            return answer

        return await run(post)


async def _local(
    home: Path | None, run: Callable[[Post], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    settings = settings_for(home).model_copy(update={"autostart": False})
    async with local_node(settings) as node:
        for kind in (ServiceType.NMT, ServiceType.LLM):
            for spec in node.client.serving(kind, []):
                await node.host.supervisor.ensure_ready(spec.service_id, timeout_s=900)
        url = node.host.node_url
        assert url is not None
        token = settings.auth_token.get_secret_value() if settings.auth_token else None
        return await _over_http(url, run, token)


def eval_translate(
    set_file: Path = typer.Option(..., "--set", help="JSON Lines: {id, zh, en} or {id, src, ref}"),
    direction: str = typer.Option(..., help="zh-en or en-zh"),
    node: str | None = typer.Option(None, help="Node URL (default: the home's running node)"),
    limit: int | None = typer.Option(None, help="Only the first N rows"),
    model: str = typer.Option("default", help="The yardstick's model (the node's default)"),
    yardstick: bool = typer.Option(True, help="Also score the plain-prompt yardstick"),
    answers: bool = typer.Option(False, help="With --json: every row's answers too"),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """BLEU (sacrebleu; its zh tokenizer for Chinese), chrF, empty outputs, guard findings,
    latency p50/p95, the quality estimate, and the yardstick from the same run."""
    rows = load_translation_set(set_file, direction, limit)
    src, tgt = direction.split("-")

    async def run(post: Post) -> dict[str, Any]:
        return await score_set(post, rows, src, tgt, model, yardstick)

    started = time.monotonic()
    settings = settings_for(home)
    token = settings.auth_token.get_secret_value() if settings.auth_token else None
    client = None if node else find_node(settings.home)
    url = node or (client.url if client else None)
    summary = asyncio.run(_over_http(url, run, token) if url else _local(home, run))
    summary.update(
        set=str(set_file), direction=direction, wall_s=round(time.monotonic() - started, 1)
    )
    rows_answered = summary.pop("answers")
    if as_json:
        if answers:
            summary["answers"] = rows_answered
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    for name in ("node", "yardstick"):
        if name in summary:
            s = summary[name]
            typer.echo(
                f"{name:9} chrF {s['chrf']:6.2f}  BLEU {s['bleu']:6.2f}  empty {s['empty']}  "
                f"low-confidence {s['low_confidence']}  p50/p95 "
                f"{s['latency_ms']['p50']}/{s['latency_ms']['p95']} ms"
            )
    if "chrf_over_yardstick" in summary:
        typer.echo(f"chrF over the yardstick: {summary['chrf_over_yardstick']:+.2f}")


eval_translate_command = cli_errors(eval_translate)
