"""Find the running node of a home and call its API; errors come back as VoxnodeError."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from voxnode.contracts.errors import ErrorBody, VoxnodeError
from voxnode.contracts.node_settings import NodeSettings
from voxnode.packages.node_home import NodeHome


class NodeNotRunningError(VoxnodeError):
    code = "NODE_NOT_RUNNING"
    status = 503


class NodeClient:
    def __init__(self, url: str, *, token: str | None = None, timeout_s: float = 600.0):
        """`token`: the node's API token, sent as `Authorization: Bearer` (None: none)."""
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        # no keep-alive: a CLI makes a few calls, and a pooled socket would outlive them
        self._http = httpx.Client(
            base_url=self.url, headers=self.headers, timeout=timeout_s, trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )  # fmt: skip

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
    """The node running on this home, or None (a stale node.json is ignored). The client
    sends the API token of the home's settings (config.toml, VOXNODE_AUTH_TOKEN)."""
    node_file = NodeHome(home_root).node_file
    try:
        info = json.loads(node_file.read_text())
        os.kill(int(info["pid"]), 0)
        client = NodeClient(str(info["url"]), token=home_token(home_root))
        client.request("GET", "/health")
    except (OSError, ValueError, KeyError, VoxnodeError):
        return None
    return client


def home_token(home_root: Path) -> str | None:
    """The API token the home's settings name, the same the node reads."""
    token = NodeSettings(home=home_root).auth_token
    return token.get_secret_value() if token else None


def require_node(home_root: Path) -> NodeClient:
    client = find_node(home_root)
    if client is None:
        raise NodeNotRunningError(f"no node is running on {home_root}; start one with `voxnode up`")
    return client
