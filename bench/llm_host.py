"""The model host against raw llama-server, on the same model, prompt and threads, in one run.

1. Time to first token and generation tokens/s: a stream through the node's OpenAI face
   (node -> llm-local -> llama-server) against the same request sent straight to a raw
   llama-server started by this script (same binary, model, slots, threads, --no-repack as
   the host uses on a CPU). Runs alternate; medians. Target: node / raw >= 0.95 for tokens/s
   and raw TTFT / node TTFT >= 0.95; TTFT for a 30-token prompt under 1 s (seed 003).
2. Batching: four chat requests at once through the node against the same four one after
   another: aggregate tokens/s of each, and p95 TTFT under the load.
3. Memory: the proportional set size (PSS: pages two processes share counted once between
   them) of the whole node tree with nmt-llm, semantic-repair-en and llm-local installed and
   warm, against the same packages each loading their own copy (engine llama-cpp).

Usage: python bench/llm_host.py [--runs 5] [--tokens 64] [--models-dir DIR] [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from voxnode.contracts.node_settings import ModelSettings, NodeSettings
from voxnode.engines.llama_server_binary import find_llama_server
from voxnode.models.model_store_factory import open_model_store
from voxnode.supervisor.port_choice import free_port
from voxnode.testing import eventually, run_node_process
from voxnode.testing.node_runner import RunningNode

REPO = Path(__file__).resolve().parents[1]
MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
PROMPT = "Write a short paragraph about the history of the printing press in Europe."
"""About 30 tokens with Qwen's chat template (the seed's TTFT target is for such a prompt)."""


def stream_once(base: str, body: dict[str, Any]) -> tuple[float, float, int]:
    """(TTFT s, tokens/s after the first token, tokens)."""
    started = time.monotonic()
    first: float | None = None
    count = 0
    with (
        httpx.Client(timeout=600, trust_env=False) as http,
        http.stream(
            "POST", base + "/v1/chat/completions", json={**body, "stream": True}
        ) as response,
    ):
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            for choice in event.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    first = first or time.monotonic()
                    count += 1
    ended = time.monotonic()
    assert first is not None, "no token came"
    return first - started, (count - 1) / max(ended - first, 1e-6), count


def body_for(tokens: int, salt: int) -> dict[str, Any]:
    # a different first word each time: no run reuses another's prompt cache
    return {
        "model": MODEL, "max_tokens": tokens, "temperature": 0.0, "ignore_eos": True,
        "messages": [{"role": "user", "content": f"({salt}) {PROMPT}"}],
    }  # fmt: skip


def raw_server(model: Path, parallel: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [str(find_llama_server()), "-m", str(model), "--host", "127.0.0.1",
            "--port", str(port), "-c", str(4096 * parallel), "-np", str(parallel),
            "-t", str(os.cpu_count() or 1), "-ngl", "0", "--no-webui", "--no-repack"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(base + "/health", timeout=1, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    eventually(up, timeout_s=120, interval_s=0.2, what="raw llama-server")
    return proc, base


def install(node: RunningNode, packages: list[str], sources: dict[str, Path] | None = None) -> None:
    with node.client(timeout_s=1200) as api:
        for package in packages:
            source = (sources or {}).get(package, REPO / "packages" / package)
            answer = api.post("/v1/services", json={"source": str(source)})
            assert answer.status_code == 201, answer.text
        for package in packages:
            eventually(
                lambda p=package: api.get(f"/v1/services/{p}").json()["state"] == "ready",  # type: ignore[misc]
                timeout_s=900, interval_s=0.5, what=package,
            )  # fmt: skip


def tree_pss_mb(pid: int) -> float:
    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_full_info().pss
        except psutil.Error:
            continue
    return round(total / 2**20, 1)


def compare_speed(node: RunningNode, model: Path, runs: int, tokens: int) -> dict[str, Any]:
    proc, raw = raw_server(model, parallel=4)
    try:
        stream_once(raw, body_for(8, -1))
        stream_once(node.url, body_for(8, -2))
        rows: dict[str, list[tuple[float, float, int]]] = {"node": [], "raw": []}
        for run in range(runs):
            order = (
                [("raw", raw), ("node", node.url)]
                if run % 2
                else [("node", node.url), ("raw", raw)]
            )
            for name, base in order:
                rows[name].append(stream_once(base, body_for(tokens, run * 10 + len(name))))
    finally:
        proc.terminate()
        proc.wait()
    out: dict[str, Any] = {}
    for name, samples in rows.items():
        out[name] = {
            "ttft_ms": round(statistics.median(s[0] for s in samples) * 1000, 1),
            "tokens_per_s": round(statistics.median(s[1] for s in samples), 2),
        }
    out["tokens_per_s_ratio"] = round(out["node"]["tokens_per_s"] / out["raw"]["tokens_per_s"], 3)
    out["ttft_ratio"] = round(out["raw"]["ttft_ms"] / out["node"]["ttft_ms"], 3)
    return out


def batching(node: RunningNode, tokens: int) -> dict[str, Any]:
    def run(salt: int, results: list[tuple[float, float, int]]) -> None:
        results.append(stream_once(node.url, body_for(tokens, salt)))

    sequential: list[tuple[float, float, int]] = []
    started = time.monotonic()
    for salt in range(100, 104):
        run(salt, sequential)
    one_by_one = time.monotonic() - started
    together: list[tuple[float, float, int]] = []
    threads = [threading.Thread(target=run, args=(salt, together)) for salt in range(200, 204)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    at_once = time.monotonic() - started
    ttfts = sorted(s[0] for s in together)
    return {
        "sequential_tokens_per_s": round(sum(s[2] for s in sequential) / one_by_one, 2),
        "concurrent_tokens_per_s": round(sum(s[2] for s in together) / at_once, 2),
        "gain": round(one_by_one / at_once, 3),
        "concurrent_p95_ttft_ms": round(ttfts[-1] * 1000, 1),
        "sequential_p50_ttft_ms": round(statistics.median(s[0] for s in sequential) * 1000, 1),
    }


def with_own_engine(package: str, folder: Path) -> Path:
    """The package as it was before the model host: its venv gets the `llm` extra (engine A)
    so that it can load its own copy of the model."""
    copy = folder / package
    shutil.copytree(REPO / "packages" / package, copy)
    manifest = json.loads((copy / "service.json").read_text())
    manifest["python"]["voxnode_extras"] = ["llm"]
    (copy / "service.json").write_text(json.dumps(manifest))
    return copy


def memory(models_dir: Path) -> dict[str, Any]:
    packages = ["llm-local", "nmt-llm", "semantic-repair-en"]
    out: dict[str, Any] = {}
    for label, env in (
        ("shared", {}),
        ("separate", {"VOXNODE_NMT_ENGINE": "llama-cpp", "VOXNODE_REPAIR_ENGINE": "llama-cpp"}),
    ):
        wanted = packages if label == "shared" else packages[1:]
        with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp, run_node_process(
            Path(tmp) / "home", env={"VOXNODE_MODELS__DIR": str(models_dir), **env},
            ready_timeout_s=60,
        ) as node:  # fmt: skip
            sources = {} if label == "shared" else {
                p: with_own_engine(p, Path(tmp)) for p in wanted
            }  # fmt: skip
            install(node, wanted, sources)
            with node.client() as api:  # one request each, so every model is really loaded
                api.post("/v1/repair", json={"job_id": "m", "session_id": "m", "lang": "en",
                         "text_in": "i want to by a ticket", "quality_score": 0.2})  # fmt: skip
                api.post("/v1/jobs", json={"src_lang": "en", "tgt_lang": "zh",
                         "text": "Good morning.", "want_audio": False})  # fmt: skip
            out[label] = {"packages": wanted, "tree_pss_mb": tree_pss_mb(node.process.pid)}
    out["saved_mb"] = round(out["separate"]["tree_pss_mb"] - out["shared"]["tree_pss_mb"], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--models-dir", type=Path)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    settings = NodeSettings(models=ModelSettings(dir=args.models_dir))
    model = open_model_store(settings).pull(MODEL)
    results: dict[str, Any] = {"model": MODEL, "tokens": args.tokens, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp, run_node_process(
        Path(tmp) / "home", env={"VOXNODE_MODELS__DIR": str(settings.models_dir)}
    ) as node:  # fmt: skip
        install(node, ["llm-local"])
        results["speed"] = compare_speed(node, model, args.runs, args.tokens)
        print(json.dumps(results["speed"], indent=1), flush=True)
        results["batching"] = batching(node, args.tokens)
        print(json.dumps(results["batching"], indent=1), flush=True)
    if not args.skip_memory:
        results["memory"] = memory(settings.models_dir)
        print(json.dumps(results["memory"], indent=1), flush=True)
    out = REPO / "bench" / "results" / "llm_host.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
