"""POST /v1/embeddings: the node's OpenAI-shaped face for embeddings, answered by a ready
embedding service through the service client (any language: e5 is multilingual)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends

from voxnode.api.node_state import NodeState, node_state
from voxnode.contracts.embedding import EmbeddingRequest, EmbeddingResponse
from voxnode.contracts.service_manifest import ServiceType

router = APIRouter(tags=["embeddings"])
EMBEDDING_TIMEOUT_S = 60.0
"""When the request carries no deadline_ms (on-demand start included)."""


@router.post("/v1/embeddings")
async def embeddings(
    body: EmbeddingRequest, node: NodeState = Depends(node_state)
) -> EmbeddingResponse:
    assert node.client is not None
    budget_s = body.deadline_ms / 1000 if body.deadline_ms else EMBEDDING_TIMEOUT_S
    reply = await node.client.call(
        ServiceType.EMBEDDING, [], body, EmbeddingResponse, deadline=time.monotonic() + budget_s
    )
    return reply.body.model_copy(update={"service_id": reply.service_id})
