"""The English repair path against the raw engine call it makes, same model, one run.

For N-best rows of en_asr_*.jsonl that reach the LLM (hypotheses that disagree, a
candidate passing the guards), time (a) the whole repair: trigger, guards, scoring,
normalisation (EnRepairService.repair), and (b) the raw
`engine.score()` on exactly the texts and context the repairer scored. Both run warm (the
same request once before). Reports medians and the ratio (target <= 1.1).
Usage: python bench/repair_llm_overhead.py [--rows 20] [--model NAME]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.repair import RepairRequest
from voxnode.engines.llama_cpp_engine import LlamaConfig, LlamaCppEngine
from voxnode.models.model_store_factory import open_model_store
from voxnode.services.repair.en_service import EnRepairService
from voxnode.services.repair.settings import RepairSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def llm_rows(limit: int) -> list[list[str]]:
    rows = []
    for name in ("en_asr_chime4.jsonl", "en_asr_atis.jsonl", "en_asr_wsj.jsonl"):
        for line in (DATA / name).read_text().splitlines():
            nbest = [" ".join(h.split()) for h in json.loads(line)["nbest"]]
            if len(set(nbest)) > 1:
                rows.append(nbest)
    return rows[:limit]


class Recording:
    """The real engine, noting what the repairer asked it to score."""

    def __init__(self, engine: LlamaCppEngine):
        self.engine = engine
        self.calls: list[tuple[list[str], str]] = []

    def score(self, texts, *, context="", deadline=None):  # type: ignore[no-untyped-def]
        self.calls.append((list(texts), context))
        return self.engine.score(texts, context=context, deadline=deadline)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.engine, name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--model", default=RepairSettings().llm_model)
    args = parser.parse_args()
    model = open_model_store(NodeSettings()).pull(args.model)
    engine = LlamaCppEngine(LlamaConfig(model, n_ctx=1024, n_threads=None))
    recording = Recording(engine)
    service = EnRepairService(RepairSettings(lang="en"), engine=recording)  # type: ignore[arg-type]
    service.load()
    raw, repaired = [], []
    for nbest in llm_rows(args.rows):
        request = RepairRequest(
            job_id="b", session_id="b", lang="en", text_in=nbest[0], meta={"nbest": nbest}
        )
        recording.calls.clear()
        service.repair(request, protected=[], deadline=time.monotonic() + 60)  # warm
        if not recording.calls:
            continue  # every candidate failed a guard: no LLM call to compare with
        started = time.perf_counter()
        service.repair(request, protected=[], deadline=time.monotonic() + 60)
        repaired.append(time.perf_counter() - started)
        texts, context = recording.calls[-1]
        started = time.perf_counter()
        engine.score(texts, context=context)
        raw.append(time.perf_counter() - started)
    result = {
        "rows_reaching_the_llm": len(raw),
        "raw_engine_score_ms_p50": round(statistics.median(raw) * 1000, 1),
        "repair_path_ms_p50": round(statistics.median(repaired) * 1000, 1),
        "ratio_p50": round(statistics.median(repaired) / statistics.median(raw), 3),
        "ratio_total": round(sum(repaired) / sum(raw), 3),
    }
    print(json.dumps(result, indent=2))
    engine.close()


if __name__ == "__main__":
    main()
