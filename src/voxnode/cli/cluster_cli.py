"""`voxnode dispatch FILE` and `voxnode cluster status`: the cluster's client side.

FILE is an audio file (one job: .wav, .opus/.ogg, .ul, .pcm) or a JSON Lines file (`.jsonl`)
of JobRequests, one a line; --src, --tgt and --session fill in what a line leaves out.
Outcomes print as they are released: per session in utterance order.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, print_result, settings_for
from voxnode.cli.translate_cli import audio_format_of
from voxnode.contracts.cluster_messages import JobOutcome, OutcomeKind
from voxnode.contracts.errors import BadInputError, VoxnodeError
from voxnode.contracts.job import JobRequest, JobStatus
from voxnode.contracts.node_settings import ClusterSettings

cluster_app = typer.Typer(no_args_is_help=True, help="Cluster mode (NATS JetStream).")
NatsOption = typer.Option(
    None, "--nats", help="nats://HOST:4222 (default: cluster.nats_url, VOXNODE_CLUSTER__NATS_URL)"
)


def cluster_settings(home: Path | None, nats: str | None) -> ClusterSettings:
    settings = settings_for(home).cluster
    if nats:
        settings = settings.model_copy(update={"nats_url": nats})
    if not settings.nats_url:
        raise BadInputError("give --nats nats://HOST:4222 (or cluster.nats_url)", code="NO_NATS")
    return settings


def read_jobs(
    path: Path, src: str | None, tgt: str | None, session: str | None, want_audio: bool
) -> list[JobRequest]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read {path}: {exc.strerror}", code="NO_INPUT") from exc
    defaults = {"src_lang": src, "tgt_lang": tgt, "session_id": session}
    given = {key: value for key, value in defaults.items() if value is not None}
    if path.suffix.lower() != ".jsonl":
        if src is None or tgt is None:
            raise BadInputError("audio needs --src and --tgt", code="PAIR_REQUIRED")
        return [
            JobRequest(
                **given, audio=base64.b64encode(data).decode(), audio_format=audio_format_of(path),
                want_audio=want_audio,
            )
        ]  # fmt: skip
    jobs = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            jobs.append(JobRequest.model_validate({**given, **json.loads(line)}))
        except (ValueError, ValidationError) as exc:
            raise BadInputError(f"{path.name} line {number}: {exc}", code="BAD_JOB") from None
    return jobs


def describe(outcome: JobOutcome) -> str:
    where = f"{outcome.session_id}#{outcome.utterance_index}"
    head = f"{outcome.job_id}  {where}  {outcome.kind.value}"
    head += f"  node {outcome.node_id or '-'}  attempt {outcome.attempts}"
    if outcome.late:
        head += "  LATE"
    if outcome.result is not None and outcome.kind is OutcomeKind.RESULT:
        return f"{head}  [{outcome.result.status.value}] {outcome.result.text_translated}"
    return f"{head}  {outcome.error.code + ': ' + outcome.error.message if outcome.error else ''}"


def succeeded(outcome: JobOutcome) -> bool:
    result = outcome.result
    return (
        outcome.kind is OutcomeKind.RESULT
        and result is not None
        and (result.status is not JobStatus.FAILED)
    )


@cli_errors
def dispatch_command(
    file: Path = typer.Argument(..., help="Audio file (one job) or .jsonl of JobRequests"),
    src: str | None = typer.Option(None, help="Language spoken (for lines without src_lang)"),
    tgt: str | None = typer.Option(None, help="Language wanted (for lines without tgt_lang)"),
    session: str | None = typer.Option(None, help="Session (for lines without session_id)"),
    out_dir: Path | None = typer.Option(None, help="Write each translated speech here"),
    timeout_s: float = typer.Option(600.0, help="Give up waiting after this many seconds"),
    nats: str | None = NatsOption,
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """Send jobs to the cluster and print their outcomes as they are released (per session in
    utterance order); exits 1 if any job has no usable result. Jobs without an outcome
    within --timeout-s are cancelled."""
    from voxnode.cluster.dispatcher import Dispatcher

    settings = cluster_settings(home, nats)
    jobs = read_jobs(file, src, tgt, session, want_audio=out_dir is not None)
    released: list[JobOutcome] = []

    def show(outcome: JobOutcome) -> None:
        released.append(outcome)
        result = outcome.result
        if out_dir is not None and result is not None and result.audio:
            out_dir.mkdir(parents=True, exist_ok=True)
            suffix = (result.audio_format or "wav").replace("pcm16", "pcm")
            (out_dir / f"{outcome.job_id}.{suffix}").write_bytes(base64.b64decode(result.audio))
        if as_json:
            exclude: Any = {"result": {"audio"}}
            typer.echo(outcome.model_dump_json(exclude=exclude))
        else:
            typer.echo(describe(outcome))

    async def run() -> None:
        async with Dispatcher(settings, on_release=show) as dispatcher:
            ids = [await dispatcher.submit(job) for job in jobs]
            try:
                await asyncio.wait_for(
                    asyncio.gather(*(dispatcher.wait(job_id) for job_id in ids)), timeout_s
                )
            except TimeoutError:
                done = {outcome.job_id for outcome in released}
                count = len(done)
                for job_id in ids:  # nobody waits for them any more
                    if job_id not in done:
                        await dispatcher.cancel(job_id)
                raise VoxnodeError(
                    f"{count} of {len(ids)} outcomes within {timeout_s} s; the rest "
                    "are cancelled (`voxnode cluster status` shows whether a node serves "
                    "their pair)",
                    code="DISPATCH_TIMEOUT",
                ) from None

    asyncio.run(run())
    if not all(succeeded(o) for o in released):
        raise typer.Exit(1)


@cluster_app.command("status")
@cli_errors
def status(
    nats: str | None = NatsOption, home: Path | None = HomeOption, as_json: bool = JsonOption
) -> None:
    """Nodes (from the presence bucket) with their pairs, queue depth per pair, dead letters."""
    from voxnode.cluster.cluster_status import read_status

    view = asyncio.run(read_status(cluster_settings(home, nats)))
    lines = [f"nats {view.nats_url}: {len(view.nodes)} node(s)"]
    for node in view.nodes:
        pairs = ", ".join(f"{p.src}->{p.tgt}" for p in node.pairs) or "none"
        lines.append(
            f"  node {node.node_id}  pid {node.pid}  running {node.running}/{node.max_jobs}"
            f"  done {node.jobs_done}  pairs {pairs}"
        )
    lines.append(f"{'PAIR':10} {'QUEUED':>7} {'PENDING':>8} {'RUNNING':>8} {'REDELIV':>8} NODES")
    for row in view.pairs:
        lines.append(
            f"{row.pair:10} {row.queued:>7} {row.pending:>8} {row.running:>8} "
            f"{row.redelivered:>8} {', '.join(row.nodes) or '-'}"
        )
    lines.append(f"dead letters: {view.dead_letters}")
    for letter in view.recent_dead_letters:
        reason = f"{letter.reason.code}: {letter.reason.message}"
        lines.append(f"  {letter.job_id}  {letter.subject}  {reason}")
    print_result(view.model_dump(mode="json"), as_json, "\n".join(lines))
