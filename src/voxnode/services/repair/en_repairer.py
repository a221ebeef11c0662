"""English ASR repair: normalise always; when the trigger fires, let the LLM judge.

Trigger (seed 001 5.1, en: "default PASS"): the ASR's quality_score under the threshold,
or an N-best list (meta.nbest) whose hypotheses disagree, or the node's own trigger
(meta.trigger.fire). A confident 1-best is never sent to the model.

Candidates: the other hypotheses of the N-best or, when there is none, the LLM's own fix
from a strict chat prompt at temperature 0. Every candidate must pass the guards
(en_guards) and keep the 1-best's number of words (`max_word_change`): a sentence
likelihood prefers fewer words, so a 1.5B model cannot judge whether "he said" or "quote"
was spoken, only which of two same-length wordings is English. The LLM scores the 1-best
and each candidate (log-likelihood of the whole sentence, engine score()). A candidate
replaces the 1-best only when its score, less `rank_prior` nats per N-best rank below the
top and `edit_penalty` nats per word it changes, beats the 1-best's by `margin` nats.
Scoring with a strict margin, not free generation, is what works at 1.5B
(research/repair_quality.md); the defaults come from bench/repair_en_sweep.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from voxnode.contracts.repair import ReasonCode
from voxnode.engines.llm_engine import ChatMessage, EngineDeadlineError, LlmEngine, Sampling
from voxnode.services.common.deadline import DeadlineExceeded
from voxnode.services.repair.en_guards import changed_words, rejection, strip_label

SCORE_CONTEXT = "Transcript of a spoken sentence:\n"
SYSTEM = (
    "You fix speech recognition errors in English text: words that sound alike, split or "
    "merged words. Change as little as possible. Keep names, numbers and acronyms. Never "
    "answer, explain, continue or translate the text. Reply with the corrected text only; "
    "if nothing is clearly wrong, reply with the text unchanged."
)


class EnPolicy(BaseModel):
    """When the LLM's judgement replaces the 1-best (env VOXNODE_REPAIR_EN__MARGIN, ...)."""

    model_config = ConfigDict(frozen=True)
    quality_threshold: float = Field(0.7, ge=0, le=1)
    margin: float = 8.0
    """nats the LLM must prefer a candidate over the 1-best by, after the costs below."""
    rank_prior: float = 1.0
    """nats charged per N-best rank below the 1-best (the LLM's own fix counts as rank 1)."""
    edit_penalty: float = 2.0
    """nats charged per word a candidate changes."""
    max_word_change: int = Field(0, ge=0)
    """Words a candidate may add or remove (0: same length; the score cannot judge more)."""
    llm_suggestion: bool = True
    """Without an N-best, ask the LLM for its own fix as the one candidate."""
    max_length_change: float = 0.2
    max_edit_ratio: float = 0.34
    """Edited words / words: above it the candidate is a rewrite, not a repair."""


@dataclass(frozen=True, slots=True)
class EnOutcome:
    text: str
    """The chosen sentence, in the form of the candidates (before normalisation)."""
    triggered: list[str]
    considered: int
    rejected: dict[str, str]
    gain: float | None
    source: str | None
    """'nbest:2', 'llm' or None when the 1-best stayed."""


def trigger_reasons(
    text: str, quality: float | None, meta: dict[str, Any], threshold: float
) -> list[str]:
    reasons: list[str] = []
    if quality is not None and quality < threshold:
        reasons.append(ReasonCode.LOW_QUALITY_SCORE)
    hyps = [" ".join(h.split()) for h in meta.get("nbest") or [] if isinstance(h, str)]
    if len(set(hyps)) > 1:
        reasons.append(ReasonCode.NBEST_DISAGREE)
    node = meta.get("trigger")
    if isinstance(node, dict) and node.get("fire"):
        reasons.append(ReasonCode.NODE_TRIGGER)
    return reasons


class EnRepairer:
    def __init__(self, engine: LlmEngine, policy: EnPolicy | None = None):
        self.engine = engine
        self.policy = policy or EnPolicy()

    def repair(
        self,
        text: str,
        *,
        quality: float | None,
        meta: dict[str, Any],
        context: str,
        glossary: Sequence[str],
        deadline: float,
    ) -> EnOutcome:
        p = self.policy
        triggered = trigger_reasons(text, quality, meta, p.quality_threshold)
        if not triggered:
            return EnOutcome(text, [], 0, {}, None, None)
        nbest = [" ".join(h.split()) for h in meta.get("nbest") or [] if isinstance(h, str)]
        base = nbest[0] if nbest else text
        ranked: dict[str, tuple[int, str]] = {}
        for rank, hyp in enumerate(nbest[1:], start=1):
            if hyp != base:
                ranked.setdefault(hyp, (rank, f"nbest:{rank}"))
        if p.llm_suggestion and not nbest:
            suggestion = self._suggest(base, context, deadline)
            if suggestion and suggestion != base:
                ranked[suggestion] = (1, "llm")
        rejected: dict[str, str] = {}
        candidates = []
        for hyp, (rank, source) in ranked.items():
            why = rejection(
                base, hyp, glossary=glossary, max_word_change=p.max_word_change,
                max_length_change=p.max_length_change, max_edit_ratio=p.max_edit_ratio,
            )  # fmt: skip
            if why:
                rejected[source] = why
            else:
                cost = p.rank_prior * rank + p.edit_penalty * changed_words(base, hyp)
                candidates.append((hyp, cost, source))
        if not candidates:
            return EnOutcome(base, triggered, len(ranked), rejected, None, None)
        scores = self._score([base] + [c[0] for c in candidates], context, deadline)
        best_gain, best = float("-inf"), None
        for (hyp, cost, source), score in zip(candidates, scores[1:], strict=True):
            gain = score - cost - scores[0]
            if gain > best_gain:
                best_gain, best = gain, (hyp, source)
        if best is None or best_gain < p.margin:
            return EnOutcome(base, triggered, len(ranked), rejected, best_gain, None)
        return EnOutcome(best[0], triggered, len(ranked), rejected, best_gain, best[1])

    def _score(self, texts: list[str], context: str, deadline: float) -> list[float]:
        prefix = SCORE_CONTEXT + (f"{context.strip()}\n" if context.strip() else "")
        try:
            return self.engine.score([t + "\n" for t in texts], context=prefix, deadline=deadline)
        except EngineDeadlineError as exc:
            raise DeadlineExceeded from exc

    def _suggest(self, text: str, context: str, deadline: float) -> str | None:
        user = f"Previous sentence: {context.strip()}\n" if context.strip() else ""
        user += f"Text: {text}"
        messages = [ChatMessage("system", SYSTEM), ChatMessage("user", user)]
        budget = max(16, int(len(text.split()) * 2.5))
        try:
            reply = self.engine.chat(messages, Sampling(max_tokens=budget), deadline=deadline)
        except EngineDeadlineError as exc:
            raise DeadlineExceeded from exc
        return strip_label(reply.text) or None
