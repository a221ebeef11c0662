"""What every CLI command shares: the home option, settings, error printing, JSON output."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import NodeSettings, default_home

P = ParamSpec("P")
R = TypeVar("R")

HomeOption = typer.Option(None, "--home", envvar="VOXNODE_HOME", help="Node home (VOXNODE_HOME)")
JsonOption = typer.Option(False, "--json", help="Print JSON")


class ConfigError(VoxnodeError):
    code = "CONFIG_INVALID"
    status = 400


def settings_for(home: Path | None, **overrides: Any) -> NodeSettings:
    """The home's settings; a damaged config.toml or a bad value is a ConfigError naming the
    file (and the field), not a traceback."""
    given = {key: value for key, value in overrides.items() if value is not None}
    root = home or default_home()
    config = root / "config.toml"
    try:
        return NodeSettings(home=root, **given)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            f"{config} or the VOXNODE_* environment: invalid setting: {problems}"
        ) from None


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
