"""/v1/models: the catalog with what is pulled on this node (same view as `voxnode models`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from voxnode.api.node_state import NodeState, node_state
from voxnode.models.model_views import model_view

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.get("")
async def list_models(node: NodeState = Depends(node_state)) -> dict[str, Any]:
    states = await run_in_threadpool(node.models.states)
    return {"models": [model_view(state) for state in states]}


@router.get("/{name}")
async def get_model(name: str, node: NodeState = Depends(node_state)) -> dict[str, Any]:
    return model_view(await run_in_threadpool(node.models.state, name))
