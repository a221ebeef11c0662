"""Is the translator's fixed prompt (system line and example turns) kept in llama-server's
prompt cache between requests? llama-server as llm-local starts it (4 slots, the slot with
the most similar prompt takes a request, `cache_prompt` on), the translator's own messages,
directions alternating (zh->en, en->zh, ...) with an unrelated chat between them. Per
request: the prompt's tokens, how many came from the cache (`timings.cache_n`) and how
many were evaluated (`timings.prompt_n`), and the time to the first token.

Usage: python bench/prompt_cache.py [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from voxnode.engines.llama_server_binary import find_llama_server
from voxnode.services.translate.prompts import examples
from voxnode.supervisor.port_choice import free_port
from voxnode.testing.test_models import models_cache_dir

MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
REQUESTS = [
    ("zh", "en", "我们明天需要翻译这份合同，请在周五之前发给我。"),
    ("en", "zh", "Please send me the contract before Friday."),
    ("chat", "", "Write one word: hello."),
    ("zh", "en", "会议改到下午三点，地点在二楼的大会议室。"),
    ("en", "zh", "The meeting starts at three o'clock."),
    ("zh", "en", "如果明天下雨，我们就把活动推迟到下周六。"),
    ("en", "zh", "I don't think we can finish the report by tomorrow morning."),
]


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    model = next((args.models_dir / MODEL).glob("*.gguf"))
    port = free_port()
    command = [str(find_llama_server()), "-m", str(model), "--host", "127.0.0.1", "--port",
               str(port), "-c", str(4096 * 4), "-np", "4", "-t", "2", "--no-webui",
               "--no-repack"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("llama-server did not start")
            time.sleep(0.2)
        rows = []
        for src, tgt, text in REQUESTS:
            if src == "chat":
                messages = [{"role": "user", "content": text}]
            else:
                messages = [{"role": m.role, "content": m.content}
                            for m in examples(text, src, tgt, None)]  # fmt: skip
            body = {"messages": messages, "temperature": 0.0, "max_tokens": 8, "stop": ["\n"],
                    "cache_prompt": True}  # fmt: skip
            started = time.perf_counter()
            answer = httpx.post(url + "/v1/chat/completions", json=body, timeout=300).json()
            timings = answer.get("timings", {})
            rows.append({
                "request": f"{src}->{tgt}" if tgt else "chat",
                "prompt_tokens": answer.get("usage", {}).get("prompt_tokens"),
                "cache_n": timings.get("cache_n"), "prompt_n": timings.get("prompt_n"),
                "prompt_ms": round(timings.get("prompt_ms", 0.0), 1),
                "wall_ms": round((time.perf_counter() - started) * 1000, 1),
            })  # fmt: skip
        return rows
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models-dir", type=Path, default=models_cache_dir())
    print(json.dumps(main(parser.parse_args()), indent=2, ensure_ascii=False))
