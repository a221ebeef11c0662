"""What every CLI command shares: the home option, settings, error printing, JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import NodeSettings, default_home

P = ParamSpec("P")
R = TypeVar("R")

HomeOption = typer.Option(None, "--home", envvar="VOXNODE_HOME", help="Node home (VOXNODE_HOME)")
JsonOption = typer.Option(False, "--json", help="Print JSON")


def settings_for(home: Path | None, **overrides: Any) -> NodeSettings:
    given = {key: value for key, value in overrides.items() if value is not None}
    return NodeSettings(home=home or default_home(), **given)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """A VoxnodeError becomes `error [CODE]: message` on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except VoxnodeError as exc:
            typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
            raise typer.Exit(1) from None

    return wrapper


def print_result(payload: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False) if as_json else text)
