"""The English repair policy over a grid of margins, on the N-best dev sets.

The LLM scores every text the repairer asks about once (the real engine; the scores are
kept in ~/.cache/voxnode/en_nbest_scores-<model>.json, since a full pass takes about 30
minutes on 2 cores); then the real EnRepairer replays each policy against those scores, so
the numbers are those of the service's own code. For each setting and set: WER before ->
after, improved / worsened, and how many already-exact 1-bests it changed (RepairScore, as
`voxnode eval repair` counts them). The first row
is the shipped default.
Results: bench/results/repair_en_sweep.json (full runs only).
Usage: python bench/repair_en_sweep.py [--limit N] [--cache FILE] [--cached-only]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voxnode.contracts.node_settings import NodeSettings
from voxnode.engines.llama_cpp_engine import LlamaConfig, LlamaCppEngine
from voxnode.evaluation.repair_metrics import RepairScore
from voxnode.models.model_store_factory import open_model_store
from voxnode.services.repair.en_repairer import EnPolicy, EnRepairer
from voxnode.services.repair.settings import RepairSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = ("en_asr_wsj", "en_asr_atis", "en_asr_chime4")
SUMMARY_KEYS = ("wer_before", "wer_after", "improved", "worsened", "clean_changed", "clean_inputs")
GRID: dict[str, tuple[Any, ...]] = {
    "margin": (4.0, 6.0, 8.0),
    "rank_prior": (1.0, 2.0),
    "edit_penalty": (0.0, 2.0),
    "max_word_change": (0, 2),
}


class CachedScores:
    """engine.score() through a (context, text) -> score file: each text is scored once."""

    def __init__(self, engine: LlamaCppEngine | None, path: Path):
        self.engine, self.path = engine, path
        self.known: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}

    def score(
        self, texts: Sequence[str], *, context: str = "", deadline: float | None = None
    ) -> list[float]:
        missing = [t for t in texts if context + t not in self.known]
        if missing:
            if self.engine is None:
                raise SystemExit(f"no cached score for {missing[0]!r}: run without --cached-only")
            for text, value in zip(
                missing, self.engine.score(missing, context=context), strict=True
            ):
                self.known[context + text] = value
        return [self.known[context + t] for t in texts]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.known))


def evaluate(repairer: EnRepairer, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The eval's own metrics (RepairScore) over what the repairer chose for each row."""
    score = RepairScore("en")
    for row in rows:
        nbest = [" ".join(h.split()) for h in row["nbest"]]
        outcome = repairer.repair(
            nbest[0], quality=None, meta={"nbest": nbest}, context="", glossary=[],
            deadline=time.monotonic() + 3600,
        )  # fmt: skip
        chosen = outcome.text if outcome.source else nbest[0]
        score.add(
            nbest[0], row["ref"], chosen, decision="REPAIR" if outcome.source else "PASS",
            latency_ms=0.0, triggered=bool(outcome.triggered),
        )  # fmt: skip
    summary = score.summary()
    return {key: summary[key] for key in SUMMARY_KEYS}


def policies() -> list[EnPolicy]:
    default = EnPolicy()
    grid = [
        EnPolicy(**dict(zip(GRID, values, strict=True)))
        for values in itertools.product(*GRID.values())
    ]
    return [default, *(p for p in grid if p != default)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="first N rows of each set")
    parser.add_argument("--cache", type=Path, default=None, help="scores file (per model)")
    parser.add_argument("--cached-only", action="store_true", help="never load the model")
    args = parser.parse_args()
    model_name = RepairSettings().llm_model
    cache = args.cache or Path.home() / f".cache/voxnode/en_nbest_scores-{model_name}.json"
    engine = None
    if not args.cached_only:
        model = open_model_store(NodeSettings()).pull(model_name)
        engine = LlamaCppEngine(LlamaConfig(model, n_ctx=1024))
    scores = CachedScores(engine, cache)
    data = {
        name: [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text().splitlines()][
            : args.limit
        ]
        for name in SETS
    }
    results = []
    try:
        for policy in policies():
            repairer = EnRepairer(scores, policy)  # type: ignore[arg-type]
            per_set = {name: evaluate(repairer, rows) for name, rows in data.items()}
            results.append({"policy": policy_fields(policy), "sets": per_set})
            scores.save()
            print(line_of(results[-1]), flush=True)
    finally:
        scores.save()
        if engine is not None:
            engine.close()
    if args.limit is None:
        out = Path(__file__).parent / "results" / "repair_en_sweep.json"
        out.write_text(json.dumps(results, indent=2) + "\n")


def policy_fields(policy: EnPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in GRID}


def line_of(result: dict[str, Any]) -> str:
    knobs = " ".join(f"{k}={v:g}" for k, v in result["policy"].items())
    cells = [
        f"{name[7:]} {s['wer_before']}->{s['wer_after']} +{s['improved']}/-{s['worsened']} "
        f"exact {s['clean_changed']}/{s['clean_inputs']}"
        for name, s in result["sets"].items()
    ]
    return f"{knobs:54} | " + " | ".join(cells)


if __name__ == "__main__":
    main()
