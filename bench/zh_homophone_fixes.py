"""How many of Whisper's homophone errors Chinese repair fixes, one error at a time.

Each sentence of the Whisper set (`data/zh_whisper_tts.jsonl`: Whisper base on tts-zh
speech) is aligned with its reference character by character; every character Whisper
substituted is one error, classed by how it sounds against the right one:

- `same`: the same toneless pinyin (会议是 for 会议室),
- `near`: one fuzzy-pinyin rule apart (zh/z, an/ang, a nasal heard or lost: 证 for 这),
- `other`: neither (下53点 for 下午三点, a word misheard whole).

An error is fixed when the repaired sentence has the right character at its place, and a
character Whisper got right that repair changed is one broken. Each homophone error left is
classed by why (`missed_by_gain`): the trigram gain of putting the right character alone
into the repaired sentence (below 0: the trigram prefers the wrong one; 0-5: it prefers the
right one by less than the first margin), and whether another error sits within two
characters of it (`near_another`: the context the trigram judges by is wrong too). The
repairer runs with the shipped defaults (`ZhMargins()`), its search budget included, as the
service runs it; with `--judge URL`, the LLM of the node at URL judges the gray zone
(ZhMargins.llm_judge), as on a GPU node, and `--judge-band`/`--judge-margin` set its gates;
`--search-budget-ms` gives a CPU's slower judge the time a GPU's would not need. Joint
rewrites (zh_lattice) are on as shipped; `--no-joint` turns them off and
`--joint-change-cost`/`--joint-char-penalty` set their costs. `--clean N` replays the first N
clean rmrb sentences through the same repairer and counts those it changed (over-correction).
The report counts the sentences it was asked about and its time, and gives the repair's
p50/p95 on the Whisper set's sentences (in process; with `--judge`, the LLM's calls too).

Usage: python bench/zh_homophone_fixes.py [--limit N] [--clean N] [--no-joint]
    [--models-dir DIR] [--out FILE] [--judge http://127.0.0.1:8700 [--judge-band B]
    [--judge-margin M]]
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin

from voxnode.engines.openai_engine import OpenAiConfig, OpenAiEngine
from voxnode.evaluation.repair_metrics import units
from voxnode.services.common.deadline import DeadlineExceeded
from voxnode.services.repair.settings import ZhMargins
from voxnode.services.repair.zh_fuzzy_pinyin import fuzzy_alternatives
from voxnode.services.repair.zh_repairer import ZhRepairer
from voxnode.testing.test_models import models_cache_dir
from zh_repair_margins import SETS, lexicon

REPO = Path(__file__).resolve().parents[1]


def sound_class(heard: str, said: str) -> str:
    a, b = lazy_pinyin(heard)[0], lazy_pinyin(said)[0]
    if a == b:
        return "same"
    if a in dict(fuzzy_alternatives(b)) or b in dict(fuzzy_alternatives(a)):
        return "near"
    return "other"


def substitutions(a: str, b: str) -> dict[int, str]:
    """Position in `a` -> the character of `b` aligned with it, for characters aligned
    one to one (equal blocks and replacements of the same length)."""
    aligned = {}
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            aligned.update({i1 + k: b[j1 + k] for k in range(i2 - i1)})
    return aligned


def why_missed(repairer: ZhRepairer, out: str, i: int, right: str, wrong: set[int]) -> str:
    """A missed error's class: the trigram gain of the right character alone in the repaired
    sentence, and whether another error is within two characters."""
    if len(out) <= i:
        return "length changed"
    score = repairer.lexicon.score
    gain = score(out[:i] + right + out[i + 1 :]) - score(out)
    band = "below 0" if gain < 0 else "0-2" if gain < 2 else "2-5" if gain < 5 else "5 or more"
    near = any(k in wrong for k in (i - 2, i - 1, i + 1, i + 2))
    return f"{band}{', near_another' if near else ''}"


def clean_changed(repairer: ZhRepairer, limit: int) -> str | None:
    """How many of the first `limit` clean rmrb sentences the repairer changes (over-correction,
    the issue's bar: at most 1 %)."""
    if not limit:
        return None
    rows = [json.loads(line) for line in SETS["rmrb"].read_text("utf-8").splitlines() if line]
    changed = clean = 0
    for row in rows[:limit]:
        if units(row["src"], "zh") != units(row["ref"], "zh"):
            continue
        clean += 1
        try:
            out = repairer.repair(row["src"]).text
        except DeadlineExceeded:
            out = row["src"]
        changed += units(out, "zh") != units(row["ref"], "zh")
    return f"{changed}/{clean}"


def main(args: argparse.Namespace) -> dict[str, Any]:
    judge = OpenAiEngine(OpenAiConfig(args.judge.rstrip("/") + "/v1")) if args.judge else None
    margins = ZhMargins(
        judge_band=args.judge_band, judge_margin=args.judge_margin,
        search_budget_ms=args.search_budget_ms, joint_rewrites=not args.no_joint,
        joint_change_cost=args.joint_change_cost, joint_char_penalty=args.joint_char_penalty,
        alternative_char_bonus=None if args.no_alternatives else args.alternative_char_bonus,
    )  # fmt: skip
    repairer = ZhRepairer(lexicon(args.models_dir), margins, judge=judge)
    rows = [json.loads(line) for line in args.set.read_text("utf-8").splitlines() if line]
    errors: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    broken = 0
    missed: list[str] = []
    by_gain: Counter[str] = Counter()
    rows = rows[: args.limit or None]
    repair_ms: list[float] = []
    for row in rows:
        heard = "".join(units(repairer.lexicon.to_simplified(row["src"]), "zh"))
        said = "".join(units(row["ref"], "zh"))
        started = time.monotonic()
        try:
            repaired = repairer.repair(row["src"], alternatives=row.get("nbest") or ()).text
        except DeadlineExceeded:  # no edit within the budget: the service passes it through
            repaired = row["src"]
        repair_ms.append((time.monotonic() - started) * 1000)
        out = "".join(units(repaired, "zh"))
        to_ref, to_out = substitutions(heard, said), substitutions(heard, out)
        wrong = {i for i, right in to_ref.items() if heard[i] != right}
        for i, right in to_ref.items():
            got = to_out.get(i)
            if heard[i] == right:
                broken += got is not None and got != right
                continue
            kind = sound_class(heard[i], right)
            errors[kind] += 1
            fixed[kind] += got == right
            if kind != "other" and got != right:
                by_gain[why_missed(repairer, out, i, right, wrong)] += 1
            if kind == "same" and got != right and len(missed) < args.show:
                missed.append(f"{heard[max(0, i - 3) : i + 4]} ({heard[i]} for {right})")
    report = {
        "rows": len(rows),
        "joint": margins.joint_rewrites and [margins.joint_change_cost, margins.joint_char_penalty],
        "clean_changed": clean_changed(repairer, args.clean),
        "errors": dict(errors), "fixed": dict(fixed), "broken": broken,
        "fixed_share": {k: round(fixed[k] / errors[k], 3) for k in errors if errors[k]},
        "homophone_fixed_share": round(
            (fixed["same"] + fixed["near"]) / max(errors["same"] + errors["near"], 1), 3
        ),
        "missed_by_gain": dict(sorted(by_gain.items())),
        "missed_same_sound": missed,
        "search_budget_ms": args.search_budget_ms,
        "repair_ms_p50_p95": [round(statistics.median(repair_ms)),
                              round(statistics.quantiles(repair_ms, n=20)[-1])],
        "judge": judge and {"band": args.judge_band, "margin": args.judge_margin,
                            "scored_texts": judge.stats().scored_texts},
    }  # fmt: skip
    print(json.dumps({k: v for k, v in report.items() if k != "missed_same_sound"}))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=0, help="rows (0: all)")
    parser.add_argument("--show", type=int, default=40, help="missed same-sound errors listed")
    parser.add_argument("--models-dir", type=Path, default=models_cache_dir())
    parser.add_argument("--judge", help="a node's URL: its LLM judges the gray zone")
    parser.add_argument("--search-budget-ms", type=int, default=ZhMargins().search_budget_ms)
    parser.add_argument("--no-joint", action="store_true", help="no joint rewrites (zh_lattice)")
    parser.add_argument("--joint-change-cost", type=float, default=ZhMargins().joint_change_cost)
    parser.add_argument("--joint-char-penalty", type=float, default=ZhMargins().joint_char_penalty)
    parser.add_argument("--set", type=Path, default=SETS["whisper"],
                        help="rows with src, ref[, nbest]")  # fmt: skip
    parser.add_argument("--alternative-char-bonus", type=float,
                        default=ZhMargins().alternative_char_bonus)  # fmt: skip
    parser.add_argument("--no-alternatives", action="store_true",
                        help="the rows' nbest not offered (zh_alternatives)")  # fmt: skip
    parser.add_argument("--clean", type=int, default=0, help="rmrb clean rows replayed")
    parser.add_argument("--judge-band", type=float, default=ZhMargins().judge_band)
    parser.add_argument("--judge-margin", type=float, default=ZhMargins().judge_margin)
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results" / "zh_homophone_fixes.json"
    )
    arguments = parser.parse_args()
    result = main(arguments)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
