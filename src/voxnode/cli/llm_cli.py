"""`voxnode chat`, `voxnode models ps` and `voxnode models unload`: the running node's model
host, through its OpenAI face and VoxNode's /v1/llm routes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import typer

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, print_result, settings_for
from voxnode.cli.node_client import require_node
from voxnode.contracts.errors import VoxnodeError


@cli_errors
def chat(
    prompt: str = typer.Argument(..., help="What to ask"),
    model: str = typer.Option("default", help="A catalog LLM id (default: the host's)"),
    stream: bool = typer.Option(False, "--stream", help="Print the answer as it comes"),
    system: str | None = typer.Option(None, help="A system message"),
    max_tokens: int = typer.Option(512, help="At most this many tokens"),
    temperature: float = typer.Option(0.7),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """One chat completion from the node's LLM host."""
    node = require_node(settings_for(home).home)
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": prompt}
    ]
    body: dict[str, Any] = {
        "model": model, "messages": messages, "max_tokens": max_tokens,
        "temperature": temperature,
    }  # fmt: skip
    if not stream:
        answer = node.request("POST", "/v1/chat/completions", body)
        print_result(answer, as_json, answer["choices"][0]["message"]["content"])
        return
    with (
        httpx.Client(base_url=node.url, headers=node.headers, timeout=600, trust_env=False) as http,
        http.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response,
    ):
        if response.status_code != 200:
            response.read()
            raise VoxnodeError(f"HTTP {response.status_code}: {response.text[:300]}")
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if "error" in event:
                raise VoxnodeError(event["error"]["message"], code=event["error"]["code"])
            for choice in event.get("choices") or []:
                typer.echo((choice.get("delta") or {}).get("content") or "", nl=False)
    typer.echo()


@cli_errors
def ps(home: Path | None = HomeOption, as_json: bool = JsonOption) -> None:
    """What the model hosts hold: model, engine, memory, idle time, keep-alive left."""
    status = require_node(settings_for(home).home).request("GET", "/v1/llm/status")
    lines = [f"{'MODEL':38} {'ENGINE':13} {'MEMORY':>9} {'IDLE':>7} {'UNLOADS IN':>10}  HOST"]
    for host in status["hosts"]:
        for m in host["models"]:
            left = "kept" if m["expires_in_s"] is None else f"{m['expires_in_s']:.0f} s"
            lines.append(
                f"{m['name']:38} {m['engine']:13} {m['memory_mb']:>6.0f} MB {m['idle_s']:>5.0f} s "
                f"{left:>10}  {host['service_id']}"
            )
    empty = "no model is loaded" if status["hosts"] else "no llm service is ready"
    print_result(status, as_json, "\n".join(lines) if len(lines) > 1 else empty)


@cli_errors
def unload(name: str, home: Path | None = HomeOption) -> None:
    """Unload a model now (its memory is returned)."""
    answer = require_node(settings_for(home).home).request(
        "POST", "/v1/llm/unload", {"model": name}
    )
    typer.echo(f"{name}: {'unloaded' if answer['unloaded'] else 'was not loaded'}")
