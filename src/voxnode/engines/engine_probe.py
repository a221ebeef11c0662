"""What engines this machine can run and on which backend (the facts `/info` reports)."""

from __future__ import annotations

import importlib.util
from typing import Any

from voxnode.engines.llama_cpp_engine import llama_backend
from voxnode.engines.llama_server_binary import find_llama_server
from voxnode.engines.llm_engine import EngineUnavailableError


def probe_engines() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    try:
        found.append(
            {"engine": "llama-cpp", "available": True, "detail": f"backend {llama_backend()}"}
        )
    except EngineUnavailableError as exc:
        found.append({"engine": "llama-cpp", "available": False, "detail": exc.message})
    try:
        found.append(
            {"engine": "llama-server", "available": True, "detail": str(find_llama_server())}
        )
    except EngineUnavailableError as exc:
        found.append({"engine": "llama-server", "available": False, "detail": exc.message})
    has_exl2 = importlib.util.find_spec("exllamav2") is not None
    found.append({
        "engine": "exllamav2", "available": has_exl2,
        "detail": "installed (needs CUDA)" if has_exl2 else "not installed (own venv, GPU only)",
    })  # fmt: skip
    return found
