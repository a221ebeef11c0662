"""Find the running node of a home and call its API; errors come back as VoxnodeError."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from voxnode.contracts.errors import ErrorBody, VoxnodeError
from voxnode.packages.node_home import NodeHome


class NodeNotRunningError(VoxnodeError):
    code = "NODE_NOT_RUNNING"
    status = 503


class NodeClient:
    def __init__(self, url: str, *, timeout_s: float = 600.0):
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, trust_env=False)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise NodeNotRunningError(f"node at {self.url} did not answer: {exc}") from exc
        if response.status_code >= 400:
            try:
                error = ErrorBody.model_validate_json(response.content).error
            except ValueError:
                raise VoxnodeError(f"HTTP {response.status_code}: {response.text[:300]}") from None
            raise VoxnodeError(error.message, code=error.code, status=response.status_code)
        return response.json() if response.content else None


def write_node_file(home: NodeHome, url: str) -> None:
    home.root.mkdir(parents=True, exist_ok=True)
    home.node_file.write_text(json.dumps({"pid": os.getpid(), "url": url}))


def find_node(home_root: Path) -> NodeClient | None:
    """The node running on this home, or None (a stale node.json is ignored)."""
    node_file = NodeHome(home_root).node_file
    try:
        info = json.loads(node_file.read_text())
        os.kill(int(info["pid"]), 0)
        client = NodeClient(str(info["url"]))
        client.request("GET", "/health")
    except (OSError, ValueError, KeyError, VoxnodeError):
        return None
    return client


def require_node(home_root: Path) -> NodeClient:
    client = find_node(home_root)
    if client is None:
        raise NodeNotRunningError(f"no node is running on {home_root}; start one with `voxnode up`")
    return client
