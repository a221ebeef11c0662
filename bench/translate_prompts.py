"""Translation prompts compared on their own: each prompt's greedy answer from the node's
OpenAI face (the model the node hosts), its first line, scored with chrF and BLEU as
`voxnode eval translate` scores. No guards, no second prompt, no CJK ban (`--no-latin-words`:
the ban of English words the translator uses for Chinese answers): this shows what a
prompt gives before the translator's checks, to choose which one it asks first.

Prompts: `examples` and `plain` are the translator's own (services/translate/prompts.py);
`four_examples` is `examples` with its first four pairs only (the translator's first prompt
before); `examples_zh_instruction` is `examples` with its instruction in Chinese;
`instruction_only` is the instruction with no example pairs. Each prompt's answers are in the
report's `outputs`, row by row.

Usage: python bench/translate_prompts.py --set data/mt_talk_zh_en.jsonl --direction en-zh
    [--limit 60] [--prompts examples,plain] [--node http://127.0.0.1:8700]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from voxnode.contracts.languages import language_name
from voxnode.engines.llm_engine import ChatMessage
from voxnode.evaluation.translation_metrics import TranslationScore, load_translation_set
from voxnode.services.translate import prompts
from voxnode.services.translate.guards import clean
from voxnode.services.translate.translator import token_budget

REPO = Path(__file__).resolve().parents[1]
Messages = Callable[[str, str, str], list[ChatMessage]]


def _with_system(system: str, messages: list[ChatMessage]) -> list[ChatMessage]:
    return [ChatMessage("system", system), *messages[1:]]


def _chinese_instruction(text: str, src: str, tgt: str) -> list[ChatMessage]:
    names = {"en": "英文", "zh": "中文"}
    system = f"把{names[src]}翻译成{names[tgt]}。只回复译文。"
    return _with_system(system, prompts.examples(text, src, tgt, None))


def _instruction_only(text: str, src: str, tgt: str) -> list[ChatMessage]:
    system = (
        f"Translate {language_name(src)} into {language_name(tgt)}. "
        "Reply with the translation only."
    )
    return [ChatMessage("system", system), ChatMessage("user", text)]


def _four_examples(text: str, src: str, tgt: str) -> list[ChatMessage]:
    """The translator's prompt before it had ten pairs: the instruction and the first four."""
    messages = prompts.examples(text, src, tgt, None)
    return [*messages[: 1 + 2 * 4], messages[-1]]  # the system turn, four pairs, the text


PROMPTS: dict[str, Messages] = {
    "four_examples": _four_examples,
    "examples": lambda text, src, tgt: prompts.examples(text, src, tgt, None),
    "plain": lambda text, src, tgt: prompts.plain(text, src, tgt, None),
    "examples_zh_instruction": _chinese_instruction,
    "instruction_only": _instruction_only,
}


def main(args: argparse.Namespace) -> dict[str, Any]:
    rows = load_translation_set(args.set, args.direction, args.limit)
    src, tgt = args.direction.split("-")
    report: dict[str, Any] = {"set": str(args.set), "direction": args.direction, "prompts": {}}
    with httpx.Client(base_url=args.node, timeout=600, trust_env=False) as http:
        for name in args.prompts.split(","):
            score, texts = TranslationScore(tgt), []
            for row in rows:
                started = time.monotonic()
                messages = [{"role": m.role, "content": m.content}
                            for m in PROMPTS[name](row.src, src, tgt)]  # fmt: skip
                response = http.post("/v1/chat/completions", json={
                    "model": "default", "messages": messages, "temperature": 0.0,
                    "max_tokens": token_budget(row.src), "stop": ["\n"],
                    "no_latin_words": args.no_latin_words,
                })  # fmt: skip
                response.raise_for_status()
                text = clean(response.json()["choices"][0]["message"]["content"])
                score.add(row.src, row.ref, text, latency_ms=(time.monotonic() - started) * 1000)
                texts.append(text)
            summary = score.summary()
            report["prompts"][name] = summary
            report.setdefault("outputs", {})[name] = texts
            print(f"{name:24} chrF {summary['chrf']:6.2f}  BLEU {summary['bleu']:6.2f}", flush=True)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", type=Path, required=True)
    parser.add_argument("--direction", required=True, help="zh-en or en-zh")
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--prompts", default=",".join(PROMPTS))
    parser.add_argument("--node", default="http://127.0.0.1:8700")
    parser.add_argument(
        "--no-latin-words", action="store_true",
        help="ban a space and a lower-case English word (the translator does, into Chinese)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results" / "translate_prompts.json"
    )
    arguments = parser.parse_args()
    result = main(arguments)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
