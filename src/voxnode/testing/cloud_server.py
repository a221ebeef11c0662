"""A real, independent OpenAI-compatible server for tests of cloud routing: llama-server on
loopback with a small model and an API key (the binary the project builds)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from voxnode.engines.llama_server_binary import find_llama_server
from voxnode.supervisor.port_choice import free_port
from voxnode.testing.waiting import eventually


@contextmanager
def cloud_llama_server(model: Path, api_key: str) -> Iterator[str]:
    """Its base URL (…/v1) while the block runs."""
    port = free_port()
    argv = [
        str(find_llama_server()), "-m", str(model), "--host", "127.0.0.1", "--port", str(port),
        "-c", "2048", "-np", "2", "-t", "1", "--no-webui", "--api-key", api_key,
    ]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"llama-server exited with {process.returncode}")
        try:
            return httpx.get(base + "/health", timeout=1, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        eventually(up, timeout_s=120, interval_s=0.1, what="the cloud llama-server")
        yield base + "/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)
