"""The node's knowledge bases over its service client: opened by the API's lifespan and by
the CLI's node-less commands; None when the 'knowledge' extra (chromadb) is not installed."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from voxnode.contracts.node_settings import NodeSettings
from voxnode.knowledge.embedder import ServiceEmbedder
from voxnode.knowledge.knowledge_manager import KnowledgeManager, open_knowledge
from voxnode.pipeline.service_client import ServiceClient

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_node_knowledge(
    settings: NodeSettings, client: ServiceClient
) -> AsyncIterator[KnowledgeManager | None]:
    if importlib.util.find_spec("chromadb") is None:
        log.info("knowledge bases off: the 'knowledge' extra (chromadb) is not installed")
        yield None
        return
    embedder = ServiceEmbedder(client, batch_size=settings.knowledge.embed_batch)
    async with open_knowledge(settings.knowledge, settings.home, embedder=embedder) as manager:
        yield manager
