"""/v1/models: the catalog with what is pulled on this node (same view as `voxnode models`).

One answer serves both readers: OpenAI clients read `object` and `data` (the LLMs pulled
here, as model cards, plus "default"); VoxNode's CLI and dashboard read `models` (every
catalog entry with its state). Pull (with progress as server-sent events), verify and
remove are the same operations as `voxnode models pull|verify|rm`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from voxnode.api.node_state import NodeState, node_state
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.openai import DEFAULT_MODEL, ModelCard
from voxnode.models.model_catalog import ModelKind
from voxnode.models.model_views import model_view

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.get("")
async def list_models(node: NodeState = Depends(node_state)) -> dict[str, Any]:
    states = await run_in_threadpool(node.models.states)
    llms = [s.entry.name for s in states if s.entry.kind is ModelKind.LLM and s.present]
    cards = [ModelCard(id=name).model_dump() for name in [DEFAULT_MODEL, *llms]]
    return {"object": "list", "data": cards, "models": [model_view(state) for state in states]}


@router.get("/{name}")
async def get_model(name: str, node: NodeState = Depends(node_state)) -> dict[str, Any]:
    return model_view(await run_in_threadpool(node.models.state, name))


class PullRequest(BaseModel):
    sha256: dict[str, str] = Field(
        default_factory=dict, description="FILE -> hex digest, for catalog files without one"
    )


PROGRESS_EVERY_S = 0.25
"""A pull's progress events are at most this frequent per file (and always at its end)."""


@router.post("/{name}/pull")
async def pull_model(
    name: str, body: PullRequest | None = None, node: NodeState = Depends(node_state)
) -> StreamingResponse:
    """Server-sent events while the model is fetched and verified: `progress` (file, done,
    total bytes) as bytes arrive, then `done` (the model's view) or `error` (the error
    shape). The pull goes on to its end if the client leaves."""
    node.models.catalog.get(name)  # an unknown model is a 404 before the stream starts
    digests = body.sha256 if body else {}
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    last: dict[str, float] = {}

    def progress(file_name: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if done != total and now - last.get(file_name, 0.0) < PROGRESS_EVERY_S:
            return
        last[file_name] = now
        event = {"file": file_name, "done": done, "total": total}
        loop.call_soon_threadsafe(events.put_nowait, ("progress", event))

    def pull() -> None:
        try:
            node.models.pull(name, sha256=digests, progress=progress)
            view = model_view(node.models.state(name))
            loop.call_soon_threadsafe(events.put_nowait, ("done", view))
        except Exception as exc:  # the stream must end with an error event, whatever it is
            known = (
                exc
                if isinstance(exc, VoxnodeError)
                else VoxnodeError(f"{type(exc).__name__}: {exc}")
            )
            error = known.body().model_dump(mode="json")
            loop.call_soon_threadsafe(events.put_nowait, ("error", error))

    worker = loop.run_in_executor(None, pull)

    async def stream() -> AsyncIterator[bytes]:
        yield _sse("started", {"model": name})
        while True:
            kind, data = await events.get()
            yield _sse(kind, data)
            if kind != "progress":
                await worker
                return

    return StreamingResponse(stream(), media_type="text/event-stream")


def _sse(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


@router.post("/{name}/verify")
async def verify_model(name: str, node: NodeState = Depends(node_state)) -> dict[str, Any]:
    """Re-hash every file; a bad one is deleted (SHA256_MISMATCH) so a pull fetches it."""
    files = await run_in_threadpool(node.models.verify, name)
    return {"name": name, "verified": files}


@router.delete("/{name}")
async def remove_model(name: str, node: NodeState = Depends(node_state)) -> dict[str, Any]:
    removed = await run_in_threadpool(node.models.remove, name)
    return {"name": name, "removed": removed}
