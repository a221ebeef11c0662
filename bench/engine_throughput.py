"""Engines A and B against the raw library and the raw llama-server, same model, one run.

For each path: time to first token and generation tokens/s (median of --runs after one
warm-up), scoring time for 17 candidate sentences of about 20 tokens, peak RSS. Ratios are
engine / raw (tokens/s; >= 0.95 is the target) and raw / engine (TTFT).
Usage: python bench/engine_throughput.py [--model NAME] [--runs 5] [--tokens 64]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import llama_cpp
import psutil

from voxnode.contracts.node_settings import NodeSettings
from voxnode.engines.llama_cpp_engine import LlamaConfig, LlamaCppEngine
from voxnode.engines.llama_server_binary import find_llama_server
from voxnode.engines.llama_server_engine import LlamaServerConfig, LlamaServerEngine
from voxnode.engines.llm_engine import ChatMessage, Sampling
from voxnode.models.model_store_factory import open_model_store
from voxnode.testing import free_port

PROMPT = [ChatMessage("user", "Write a short paragraph about the sea.")]
CANDIDATES = [
    f"今天北京的天气很好，下午三点我们{a}会议{b}开会，请大家准时参加。"
    for a in ("在", "再", "载")
    for b in ("室", "是", "事", "时", "市", "式")
][:17]
N_CTX = 2048


def timed_stream(pieces: Any) -> tuple[float, float, int]:
    """(ttft_s, generation tokens/s after the first token, pieces)."""
    start = time.monotonic()
    first, count = None, 0
    for _ in pieces:
        first = first or time.monotonic()
        count += 1
    end = time.monotonic()
    assert first is not None
    return first - start, (count - 1) / max(end - first, 1e-9), count


def measure(label: str, run: Any, runs: int) -> dict[str, float]:
    run()  # warm-up
    samples = [run() for _ in range(runs)]
    result = {
        "ttft_ms": statistics.median(s[0] for s in samples) * 1000,
        "tokens_per_s": statistics.median(s[1] for s in samples),
        "tokens": samples[0][2],
    }
    print(f"{label:22} ttft {result['ttft_ms']:7.1f} ms   gen {result['tokens_per_s']:6.2f} tok/s")
    return result


def raw_library(model: Path, tokens: int, threads: int) -> Any:
    llm = llama_cpp.Llama(str(model), n_ctx=N_CTX, n_threads=threads, verbose=False, seed=0)
    messages = [{"role": m.role, "content": m.content} for m in PROMPT]

    def run() -> tuple[float, float, int]:
        chunks = llm.create_chat_completion(
            messages=messages, max_tokens=tokens, temperature=0.0, stream=True
        )
        return timed_stream(c for c in chunks if c["choices"][0]["delta"].get("content"))

    return llm, run


def raw_server(model: Path, tokens: int, threads: int) -> tuple[subprocess.Popen[bytes], Any]:
    port = free_port()
    command = [str(find_llama_server()), "-m", str(model), "--port", str(port), "-c",
               str(N_CTX), "-np", "1", "-t", str(threads), "--no-webui"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    no_keepalive = httpx.Limits(max_keepalive_connections=0)  # as engine B does
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=no_keepalive)
    while True:
        try:
            if client.get("/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    body = {"messages": [{"role": m.role, "content": m.content} for m in PROMPT],
            "max_tokens": tokens, "temperature": 0.0, "stream": True}  # fmt: skip

    def pieces() -> Any:
        with client.stream("POST", "/v1/chat/completions", json=body) as response:
            for line in response.iter_lines():
                if line.startswith("data: {"):
                    event = json.loads(line[6:])
                    if (event["choices"] or [{}])[0].get("delta", {}).get("content"):
                        yield 1

    return proc, lambda: timed_stream(pieces())


def score_ms(engine: Any, runs: int) -> float:
    engine.score(CANDIDATES)
    samples = []
    for _ in range(runs):
        start = time.monotonic()
        engine.score(CANDIDATES)
        samples.append((time.monotonic() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct-q4_k_m")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    model = open_model_store(NodeSettings()).pull(args.model)
    out: dict[str, Any] = {"model": args.model, "threads": threads, "runs": args.runs}

    base_rss = psutil.Process().memory_info().rss
    llm, run_raw = raw_library(model, args.tokens, threads)
    out["raw_library"] = measure("raw llama-cpp-python", run_raw, args.runs)
    llm.close()
    engine_a = LlamaCppEngine(LlamaConfig(model, n_ctx=N_CTX, n_threads=threads))
    sampling = Sampling(max_tokens=args.tokens)
    out["engine_a"] = measure("engine A", lambda: timed_stream(
        p for p in engine_a.stream(PROMPT, sampling) if p.text), args.runs)  # fmt: skip
    out["engine_a"]["score_17_ms"] = score_ms(engine_a, args.runs)
    engine_a.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["engine_a"]["peak_rss_mb"] = (peak - base_rss) / 2**20

    proc, run_server = raw_server(model, args.tokens, threads)
    try:
        out["raw_server"] = measure("raw llama-server", run_server, args.runs)
        out["raw_server"]["rss_mb"] = psutil.Process(proc.pid).memory_info().rss / 2**20
    finally:
        proc.terminate()
        proc.wait()
    engine_b = LlamaServerEngine(LlamaServerConfig(model, n_ctx=N_CTX, parallel=4))
    try:
        out["engine_b"] = measure("engine B", lambda: timed_stream(
            p for p in engine_b.stream(PROMPT, sampling) if p.text), args.runs)  # fmt: skip
        out["engine_b"]["score_17_ms"] = score_ms(engine_b, args.runs)
        out["engine_b"]["rss_mb"] = psutil.Process(engine_b.pid).memory_info().rss / 2**20
    finally:
        engine_b.close()

    for engine, raw in (("engine_a", "raw_library"), ("engine_b", "raw_server")):
        e, r = out[engine], out[raw]
        e["tokens_per_s_ratio"] = e["tokens_per_s"] / r["tokens_per_s"]
        e["ttft_ratio"] = r["ttft_ms"] / e["ttft_ms"]
        ratios = f"tokens/s x{e['tokens_per_s_ratio']:.3f} of raw, ttft x{e['ttft_ratio']:.3f}"
        print(f"{engine}: {ratios}, 17 candidates scored in {e['score_17_ms']:.0f} ms")
    print(f"peak RSS: engine A +{out['engine_a']['peak_rss_mb']:.0f} MB in process, "
          f"llama-server {out['engine_b']['rss_mb']:.0f} MB")  # fmt: skip
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "engine_throughput.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
