"""`voxnode kb create|import|list|show|query|chat|rm`: knowledge bases, through the running node's
API when one runs on the home, else on the home directly (the installed embedding service,
e.g. packages/embed-e5, is started on demand for imports and queries)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, print_result, settings_for
from voxnode.cli.kb_access import KbAccess, open_kb_access
from voxnode.cli.node_client import find_node
from voxnode.contracts.knowledge import (
    KbChatRequest,
    KbCreateRequest,
    KbImportRequest,
    KbQueryRequest,
)
from voxnode.knowledge.import_plan import ImportProgress

kb_app = typer.Typer(help="Knowledge bases: import documents, ask questions", no_args_is_help=True)
T = TypeVar("T")


def with_kb(home: Path | None, work: Callable[[KbAccess], Awaitable[T]]) -> T:
    settings = settings_for(home)
    node = find_node(settings.home)

    async def run() -> T:
        async with open_kb_access(settings, node.url if node else None) as access:
            return await work(access)

    return asyncio.run(run())


@kb_app.command("create")
@cli_errors
def create(
    name: str, description: str = typer.Option("", help="What the base holds"),
    home: Path | None = HomeOption, as_json: bool = JsonOption,
) -> None:  # fmt: skip
    """Create an empty knowledge base."""
    info = with_kb(home, lambda kb: kb.create(KbCreateRequest(name=name, description=description)))
    print_result(info.model_dump(), as_json, f"created {info.name}")


@kb_app.command("import")
@cli_errors
def import_file(
    name: str,
    file: Path = typer.Argument(..., help=".json/.jsonl records, .md, .txt or .pdf"),
    kind: str | None = typer.Option(None, help="json | jsonl | md | txt | pdf (default: suffix)"),
    id_field: str | None = typer.Option(None, help="JSON records: the id field"),
    title_field: str | None = typer.Option(None, help="JSON records: the title field"),
    text_field: list[str] = typer.Option([], help="JSON records: a text field (repeatable)"),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """Import a file; unchanged documents are skipped, changed ones replaced."""
    body = KbImportRequest(
        path=str(file.resolve()), kind=kind, id_field=id_field, title_field=title_field,
        text_fields=text_field,
    )  # fmt: skip
    with typer.progressbar(length=1, label=f"import {file.name}", file=sys.stderr) as bar:
        last = [0]

        def progress(step: ImportProgress) -> None:
            bar.length = max(step.documents_total, 1)
            bar.update(step.documents_done - last[0])
            last[0] = step.documents_done

        report = with_kb(home, lambda kb: kb.import_file(name, body, progress))
    print_result(
        report.model_dump(), as_json,
        f"{name}: {report.added} added, {report.replaced} replaced, {report.unchanged} unchanged "
        f"({report.chunks} chunks, {report.seconds} s)",
    )  # fmt: skip


@kb_app.command("list")
@cli_errors
def list_bases(home: Path | None = HomeOption, as_json: bool = JsonOption) -> None:
    """The knowledge bases, with their documents and chunks."""
    bases = with_kb(home, lambda kb: kb.bases())
    lines = [f"{'BASE':24} {'DOCS':>6} {'CHUNKS':>7} LANGUAGES"]
    lines += [
        f"{b.name:24} {b.documents:>6} {b.chunks:>7} {_languages(b.languages)}" for b in bases
    ]
    print_result(
        [b.model_dump() for b in bases], as_json, "\n".join(lines) if bases else "no bases"
    )


@kb_app.command("show")
@cli_errors
def show(name: str, home: Path | None = HomeOption, as_json: bool = JsonOption) -> None:
    """One base: its model, languages and documents."""
    detail = with_kb(home, lambda kb: kb.detail(name))
    lines = [
        f"{detail.name}: {detail.documents} documents, {detail.chunks} chunks, "
        f"model {detail.embedding_model or '-'}, languages {_languages(detail.languages)}",
        *(
            f"  {d.doc_id}  {d.title}  ({d.chunks} chunks, {d.source})"
            for d in detail.document_list
        ),
    ]
    print_result(detail.model_dump(), as_json, "\n".join(lines))


@kb_app.command("query")
@cli_errors
def query(
    name: str, question: str, top_k: int = typer.Option(5, help="Chunks to return"),
    min_cosine: float | None = typer.Option(None, help="Drop hits under this e5 cosine"),
    mode: str = typer.Option("hybrid", help="hybrid | dense | keyword"),
    home: Path | None = HomeOption, as_json: bool = JsonOption,
) -> None:  # fmt: skip
    """The chunks that answer a question, with scores and sources."""
    body = KbQueryRequest.model_validate(
        {"query": question, "top_k": top_k, "min_cosine": min_cosine, "mode": mode}
    )
    answer = with_kb(home, lambda kb: kb.query(name, body))
    lines = [f"{answer.query_language} question, weights {answer.weights}, {answer.took_ms} ms"]
    for rank, hit in enumerate(answer.hits, start=1):
        lines.append(
            f"{rank}. [{hit.score:.4f} cos {hit.cosine:.3f}] {hit.doc_id} {hit.title} "
            f"(chunk {hit.position}{f', page {hit.page}' if hit.page else ''})\n   "
            + hit.text[:200].replace("\n", " ")
        )
    print_result(answer.model_dump(), as_json, "\n".join(lines))


@kb_app.command("chat")
@cli_errors
def chat(
    name: str, question: str, top_k: int = typer.Option(5, help="Passages to give the model"),
    min_cosine: float | None = typer.Option(None, help="Leave out passages under this cosine"),
    model: str = typer.Option("default", help="A catalog LLM id (default: the host's)"),
    route: str | None = typer.Option(None, help="local | cloud | auto (default: the rules)"),
    home: Path | None = HomeOption, as_json: bool = JsonOption,
) -> None:  # fmt: skip
    """Ask the LLM host a question answered from the base, with numbered citations."""
    body = KbChatRequest.model_validate(
        {"question": question, "top_k": top_k, "min_cosine": min_cosine, "model": model,
         "route": route}
    )  # fmt: skip
    answer = with_kb(home, lambda kb: kb.chat(name, body))
    lines = [answer.answer, ""]
    for citation in answer.citations:
        mark = "*" if citation.cited else " "
        where = (
            f"{citation.title or citation.doc_id} ({citation.source}, chunk {citation.position})"
        )
        lines.append(f"{mark}[{citation.number}] {where}")
    lines.append(f"{answer.route} ({answer.route_reason}), {answer.took_ms:.0f} ms")
    print_result(answer.model_dump(), as_json, "\n".join(lines))


@kb_app.command("rm")
@cli_errors
def remove(
    name: str, doc: str | None = typer.Option(None, help="Remove only this document"),
    home: Path | None = HomeOption,
) -> None:  # fmt: skip
    """Delete a base, or one document of it."""
    if doc is None:
        with_kb(home, lambda kb: kb.delete(name))
        typer.echo(f"deleted {name}")
    else:
        with_kb(home, lambda kb: kb.delete_document(name, doc))
        typer.echo(f"deleted {doc} from {name}")


def _languages(shares: dict[str, Any]) -> str:
    return json.dumps(shares) if shares else "-"
