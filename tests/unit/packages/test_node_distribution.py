"""What a service venv gets of the node: requirements from the node's own metadata."""

from __future__ import annotations

import pytest

from voxnode.packages.node_distribution import UnknownExtraError, node_requirements


def names(requirements: list[str]) -> set[str]:
    return {r.split("=")[0].split(">")[0].split("<")[0].strip() for r in requirements}


def test_the_core_has_the_web_stack_and_no_ml_library() -> None:
    core = names(node_requirements([]))
    assert {"fastapi", "uvicorn", "httpx", "pydantic"} <= core
    assert not core & {"faster-whisper", "llama-cpp-python", "jieba", "chromadb", "hibari-tts"}


def test_an_extra_adds_its_own_requirements_only() -> None:
    asr = names(node_requirements(["asr"]))
    assert {"faster-whisper", "opencc", "fastapi"} <= asr
    assert "llama-cpp-python" not in asr and "jieba" not in asr


def test_an_extra_the_node_does_not_offer_is_refused() -> None:
    with pytest.raises(UnknownExtraError, match="no extra gpu-magic") as caught:
        node_requirements(["gpu-magic"])
    assert caught.value.code == "UNKNOWN_EXTRA"
