"""Cluster mode: nodes share work through NATS JetStream (needs the `cluster` extra).

`Dispatcher` submits jobs and awaits their outcomes; `ClusterNode` (started by the node's
lifespan when `cluster.nats_url` is set) pulls and runs them. The pure decisions
(`pair_plan`, `delivery_decision`, `session_order`, `cluster_names`) import no NATS code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voxnode.cluster.dispatcher import Dispatcher

__all__ = ["Dispatcher"]


def __getattr__(name: str) -> Any:
    if name == "Dispatcher":  # imported on use: nats-py is an optional dependency
        from voxnode.cluster.dispatcher import Dispatcher

        return Dispatcher
    raise AttributeError(name)
