"""`voxnode eval repair`: a dev set through the node's repair route, scored.

With --node URL (or a node running on the home) the rows go to POST /v1/repair over HTTP.
Otherwise the command opens the home's installed packages itself (the same RepairRouter
the node uses: trigger policy, routing, failures -> PASS), waits for the repair services of
the language to be ready, runs the set, and stops them.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import typer

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, settings_for
from voxnode.cli.eval_translate_cli import eval_translate_command
from voxnode.cli.local_node import local_node
from voxnode.cli.node_client import NodeClient, find_node
from voxnode.cli.retrieval_eval import eval_retrieval
from voxnode.contracts.errors import BadInputError
from voxnode.contracts.repair import RepairRequest
from voxnode.contracts.service_manifest import ServiceType
from voxnode.evaluation.repair_metrics import RepairScore

eval_app = typer.Typer(help="Measure quality on a dev set", no_args_is_help=True)
eval_app.command("translate")(eval_translate_command)
eval_app.command("retrieval")(eval_retrieval)

ITN_OPTIONS = {"normalize_numbers": True, "sentence_case": False, "acronyms": False}
"""Spoken->written sets are lower case and spell acronyms: score the number rules (on for
these sets; off by default) and nothing else."""
ASR_OPTIONS = {"normalize_numbers": False}
"""ASR references spell numbers out: keep them spoken so WER measures the repair."""


def load_rows(path: Path, limit: int | None) -> list[dict[str, Any]]:
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: not a JSON Lines dev set ({exc})", code="BAD_SET") from exc
    if not rows or not all("src" in r and "ref" in r for r in rows):
        raise BadInputError(f"{path}: every row needs src and ref", code="BAD_SET")
    return rows[:limit] if limit else rows


def request_for(
    row: dict[str, Any], index: int, lang: str, deadline_ms: int | None
) -> RepairRequest:
    meta: dict[str, Any] = {}
    if lang == "en":
        meta["normalize"] = ITN_OPTIONS if "category" in row else ASR_OPTIONS
    if row.get("nbest"):
        meta["nbest"] = row["nbest"]
    return RepairRequest(
        job_id=f"eval-{index}", session_id=f"eval-{row.get('id', index)}", lang=lang,
        text_in=row["src"], meta=meta, deadline_ms=deadline_ms,
    )  # fmt: skip


def score_rows(rows: list[dict[str, Any]], answers: list[dict[str, Any]], lang: str) -> RepairScore:
    score = RepairScore(lang)
    for row, answer in zip(rows, answers, strict=True):
        score.add(
            row["src"], row["ref"], answer["text_out"], decision=answer["decision"],
            latency_ms=answer["process_time_ms"],
            triggered="NOT_TRIGGERED" not in answer["reason_codes"],
            category=row.get("category"),
        )  # fmt: skip
    return score


def _over_http(client: NodeClient, requests: list[RepairRequest]) -> list[dict[str, Any]]:
    return [
        client.request("POST", "/v1/repair", r.model_dump(mode="json", exclude_none=True))
        for r in requests
    ]


async def _in_process(
    home: Path | None, lang: str, requests: list[RepairRequest]
) -> list[dict[str, Any]]:
    settings = settings_for(home).model_copy(update={"autostart": False})
    async with local_node(settings) as node:
        for spec in node.client.serving(ServiceType.SEMANTIC_REPAIR, [lang]):
            await node.host.supervisor.ensure_ready(spec.service_id, timeout_s=900)
        answers = []
        for request in requests:
            answer = await node.repair.repair(request)
            answers.append(answer.model_dump(mode="json", by_alias=True))
        return answers


@eval_app.command("repair")
@cli_errors
def eval_repair(
    set_file: Path = typer.Option(..., "--set", help="JSON Lines: id, src, ref[, nbest, category]"),
    lang: str = typer.Option(..., help="zh or en"),
    node: str | None = typer.Option(None, help="Node URL (default: the home's running node)"),
    limit: int | None = typer.Option(None, help="Only the first N rows"),
    deadline_ms: int | None = typer.Option(None, help="Per-request deadline (default: config)"),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """CER/WER before and after, improved/worsened, over-correction, sentence P/R/F1, latency."""
    rows = load_rows(set_file, limit)
    requests = [request_for(row, i, lang, deadline_ms) for i, row in enumerate(rows)]
    started = time.monotonic()
    settings = settings_for(home)
    token = settings.auth_token.get_secret_value() if settings.auth_token else None
    client = NodeClient(node, token=token) if node else find_node(settings.home)
    if client is not None:
        answers = _over_http(client, requests)
    else:
        answers = asyncio.run(_in_process(home, lang, requests))
    summary = score_rows(rows, answers, lang).summary()
    summary.update(set=str(set_file), lang=lang, wall_s=round(time.monotonic() - started, 1))
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    for key, value in summary.items():
        typer.echo(f"{key:28} {value}")
