"""/v1/models: the catalog with what is pulled on this node (same view as `voxnode models`).

One answer serves both readers: OpenAI clients read `object` and `data` (the LLMs pulled
here, as model cards, plus "default"); VoxNode's CLI and dashboard read `models` (every
catalog entry with its state)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from voxnode.api.node_state import NodeState, node_state
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
