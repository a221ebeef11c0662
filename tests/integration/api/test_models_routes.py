"""GET /v1/models on a running app: the catalog with what this home has pulled."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_models_are_listed_with_their_state(api: TestClient) -> None:
    models = {m["name"]: m for m in api.get("/v1/models").json()["models"]}
    qwen = models["qwen2.5-coder-1.5b-instruct-q4_k_m"]
    assert qwen["present"] is False and qwen["default"] is True
    assert qwen["sources"] == ["pypi"] and qwen["verified_sha256"] is True
    assert api.get("/v1/models/smollm2-135m-instruct-q4_1").json()["kind"] == "llm"


def test_an_unknown_model_is_a_404_in_the_error_shape(api: TestClient) -> None:
    response = api.get("/v1/models/gpt-5")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "UNKNOWN_MODEL"
