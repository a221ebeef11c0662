"""Chinese repair's two margins swept on the dev sets in one pass per sentence.

The repairer is greedy: each step applies the best candidate edit if its gain clears the
margin (`first_margin` for the first edit, `next_margin` after). The margins only decide
where the same sequence of best edits stops, so one run with the margins at zero (up to
`--max-edits` steps) records each sentence's sequence, and every (first, next) pair is
scored by cutting it. Per set and pair: CER after (before), sentences improved / worsened,
and clean sentences changed (over-correction; the target is at most 1 % on rmrb).

Usage: python bench/zh_repair_margins.py [--limit 400] [--max-edits 4] [--island-bonus B]
    [--inside-word-penalty P] [--models-dir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

from voxnode.contracts.text_distance import levenshtein
from voxnode.evaluation.repair_metrics import units
from voxnode.models.model_catalog import ModelCatalog
from voxnode.models.model_store import ModelStore
from voxnode.services.repair.settings import RepairSettings, ZhMargins
from voxnode.services.repair.zh_lexicon import ZhLexicon
from voxnode.services.repair.zh_repairer import ZhEdit, ZhRepairer
from voxnode.testing.test_models import models_cache_dir

REPO = Path(__file__).resolve().parents[1]
SETS = {
    "whisper": REPO / "data" / "zh_whisper_tts.jsonl",
    "sighan15": REPO.parent / "shared" / "data" / "zh_csc_sighan15.jsonl",
    "rmrb": REPO.parent / "shared" / "data" / "zh_clean_rmrb.jsonl",
}
FIRST = (2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 7.0, 8.0)
NEXT = (2.0, 3.0, 4.0)


def lexicon(models: Path) -> ZhLexicon:
    settings = RepairSettings()
    found = ZhLexicon.pulled(
        ModelStore(models, ModelCatalog.load()), settings.zh_lm_model, settings.zh_lexicon_model
    )
    found.load()
    return found


def cut(text: str, edits: tuple[ZhEdit, ...], first: float, later: float) -> str:
    for step, edit in enumerate(edits):
        if edit.gain < (first if step == 0 else later):
            break
        text = text[: edit.start] + edit.new + text[edit.start + len(edit.old) :]
    return text


def main(args: argparse.Namespace) -> dict[str, Any]:
    base = ZhMargins()
    island_bonus = base.island_bonus if args.island_bonus is None else args.island_bonus
    inside = (
        base.inside_word_penalty if args.inside_word_penalty is None else args.inside_word_penalty
    )
    sweep = ZhRepairer(
        lexicon(args.models_dir),
        base.model_copy(update={"first_margin": 0.0, "next_margin": 0.0,
                                "max_edits": args.max_edits, "search_budget_ms": 60_000,
                                "island_bonus": island_bonus, "inside_word_penalty": inside}),
    )  # fmt: skip
    report: dict[str, Any] = {
        "defaults": [base.first_margin, base.next_margin], "island_bonus": island_bonus,
        "inside_word_penalty": inside, "sets": {},
    }  # fmt: skip
    for name, path in SETS.items():
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        rows = rows[: args.limit]
        runs = []
        for row in rows:
            outcome = sweep.repair(row["src"])
            simplified = sweep.lexicon.to_simplified(row["src"])
            runs.append((simplified, outcome.edits, units(row["ref"], "zh"), row))
        figures = {}
        for first, later in itertools.product(FIRST, NEXT):
            if later > first:
                continue
            before = after = ref_units = improved = worsened = clean = changed_clean = 0
            for simplified, edits, ref, row in runs:
                out = units(cut(simplified, edits, first, later), "zh")
                src = units(simplified, "zh")
                b, a = levenshtein(src, ref), levenshtein(out, ref)
                before, after, ref_units = before + b, after + a, ref_units + len(ref)
                improved += a < b
                worsened += a > b
                if units(row["src"], "zh") == ref:
                    clean += 1
                    changed_clean += out != ref
            figures[f"{first}/{later}"] = {
                "cer_before": round(before / ref_units, 4),
                "cer_after": round(after / ref_units, 4),
                "improved": improved, "worsened": worsened,
                "clean_changed": f"{changed_clean}/{clean}",
            }  # fmt: skip
        report["sets"][name] = {"rows": len(runs), "margins": figures}
        print(name, json.dumps(figures[f"{base.first_margin}/{base.next_margin}"]), flush=True)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=400, help="rows per set")
    parser.add_argument("--max-edits", type=int, default=4)
    parser.add_argument("--island-bonus", type=float, help="default: the shipped one")
    parser.add_argument("--inside-word-penalty", type=float, help="default: the shipped one")
    parser.add_argument("--models-dir", type=Path, default=models_cache_dir())
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results" / "zh_repair_margins.json"
    )
    arguments = parser.parse_args()
    result = main(arguments)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
