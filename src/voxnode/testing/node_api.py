"""Checks against a node's HTTP API (a starlette TestClient on create_app, or an httpx
client of a served node)."""

from __future__ import annotations

from typing import Any

import httpx

from voxnode.testing.waiting import eventually


def wait_state(
    api: httpx.Client, service_id: str, state: str, timeout_s: float = 30
) -> dict[str, Any]:
    """GET /v1/services/{service_id} until its state is `state`; that status."""
    last: dict[str, Any] = {}

    def reached() -> dict[str, Any] | None:
        nonlocal last
        last = api.get(f"/v1/services/{service_id}").json()
        return last if last.get("state") == state else None

    return eventually(
        reached, timeout_s=timeout_s, what=lambda: f"{service_id} to be {state}, stayed {last}"
    )


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response has `status` and contract 2's error shape with `code`; its error."""
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    assert error["category"] in ("transient", "permanent", "bad_input"), error
    assert error["message"], error
    return error
