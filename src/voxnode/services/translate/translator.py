"""Translation engines behind one Protocol. The LLM translates by default (no offline zh<->en
MT weights exist); a CTranslate2 model (M2M100, opus-mt) plugs in as another Translator.

The LLM translator never leaves the listener with nothing: it asks with its first prompt,
checks the answer (guards.issues), asks again with the next prompt only when something is
wrong, and returns the candidate whose problems weigh least, the model's more confident one
on a tie. An answer with problems is marked low-confidence; only when every answer is empty
does it refuse, so that the node can try another translator.

With back-translation, every prompt is asked and, among the candidates whose problems weigh
least, the one that makes the source likeliest wins: the log-likelihood of the source as the
model's answer to "translate this candidate back" (a noisy channel, `engine.score` after
chat messages). A candidate that drops or invents meaning explains the source badly, a
fluent one with a wrong word explains it worse than the right one. `back_translate_share`
is the share of each direction's sentences that get it: 1 all (the prompts asked at once),
0 none, in between the least confident ones: those whose first answer's quality estimate
ranks in that share of the direction's recent ones (RunningRank). The others are
translated as without it. An engine without log-probabilities gives every clean answer the
same estimate (ties rank at a half), so a share under a half then back-translates only the
answers the guards object to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol, TypeVar

from voxnode.contracts.errors import ErrorCategory, VoxnodeError
from voxnode.engines.llm_engine import (
    ChatResult,
    EngineDeadlineError,
    EngineError,
    LlmEngine,
    Sampling,
)
from voxnode.services.translate.guards import clean, issues, weight
from voxnode.services.translate.prompts import PROMPTS
from voxnode.services.translate.quality import RunningRank, estimate

CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
T = TypeVar("T")


class TranslationRejectedError(VoxnodeError):
    """Every answer was empty: another translation service may do better."""

    code = "TRANSLATION_REJECTED"
    category = ErrorCategory.TRANSIENT
    status = 502


@dataclass(frozen=True, slots=True)
class Translation:
    text: str
    quality: float
    """0-1: the model's confidence in its answer, less what the guards found."""
    issues: tuple[str, ...]
    attempts: int
    prompt: str
    low_confidence: bool


class Translator(Protocol):
    name: str

    def translate(
        self, text: str, src_lang: str, tgt_lang: str, *,
        previous: tuple[str, str] | None, deadline: float,
    ) -> Translation: ...  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    found: list[str]
    quality: float
    prompt: str
    back: float = 0.0
    """The source's log-likelihood translated back from this text (0: not scored)."""

    def rank(self) -> tuple[float, float, float]:
        return weight(self.found), -self.back, -self.quality


class LlmTranslator:
    def __init__(
        self, engine: LlmEngine, *, prompts: tuple[str, ...] = ("examples", "plain"),
        low_quality: float = 0.35, back_translate_share: float = 0.0,
    ):  # fmt: skip
        unknown = [name for name in prompts if name not in PROMPTS]
        if unknown or not prompts:
            raise ValueError(f"unknown prompts {unknown} (known: {sorted(PROMPTS)})")
        self._engine = engine
        self._prompts = prompts
        self._low_quality = low_quality
        self.back_translate_share = back_translate_share
        self._first_ranks = RunningRank()
        self.name = f"llm:{engine.name}"

    def translate(
        self, text: str, src_lang: str, tgt_lang: str, *,
        previous: tuple[str, str] | None, deadline: float, skip: tuple[str, ...] = (),
    ) -> Translation:  # fmt: skip
        """`skip`: prompts already asked elsewhere (a streamed answer that failed), left
        out unless no other is left."""
        sampling = Sampling(
            max_tokens=token_budget(text),
            stop=("\n",),
            no_cjk=tgt_lang not in CJK_LANGUAGES,
            no_latin_words=tgt_lang in CJK_LANGUAGES,
        )
        candidates: list[_Candidate] = []
        prompts = tuple(name for name in self._prompts if name not in skip) or self._prompts
        asks: list[Callable[[], ChatResult]] = [
            partial(self._engine.chat, PROMPTS[name](text, src_lang, tgt_lang, previous),
                    sampling, deadline=deadline)
            for name in prompts
        ]  # fmt: skip
        # back-translation of every sentence needs every answer: asked at once, they decode
        # in one batch on an engine with parallel slots (llama-server, a GPU)
        share = self.back_translate_share
        back = share >= 1
        answers = at_once(asks) if back else asks
        ranked = 0 < share < 1 and prompts[0] == self._prompts[0]
        for name, answer_of in zip(prompts, answers, strict=True):
            try:
                answer = answer_of()
            except (EngineDeadlineError, EngineError):
                if not candidates:
                    raise
                break  # the first answer stands: late or lost, the next is worse than it
            output = clean(answer.text)
            found = issues(text, output, src_lang, tgt_lang)
            quality = estimate(answer.logprob, answer.completion_tokens, found)
            candidates.append(_Candidate(output, found, quality, name))
            if ranked and len(candidates) == 1:
                back = self._first_ranks.share_below((src_lang, tgt_lang), quality) < share
            if not found and not back:
                break
        attempts = len(candidates)
        if back:
            candidates = self._scored_back(candidates, text, src_lang, tgt_lang, deadline)
        best = min(candidates, key=_Candidate.rank)
        if not best.text:
            raise TranslationRejectedError(f"{self.name}: every answer was empty")
        return Translation(
            best.text, best.quality, tuple(best.found), attempts, best.prompt,
            low_confidence=bool(best.found) or best.quality < self._low_quality,
        )  # fmt: skip

    def _scored_back(
        self, candidates: list[_Candidate], text: str, src_lang: str, tgt_lang: str,
        deadline: float,
    ) -> list[_Candidate]:  # fmt: skip
        """The candidates whose problems weigh least, each with the log-likelihood of `text`
        as the answer to translating it back (the plain prompt); as they were when there is
        no choice to make or the engine cannot score in time."""
        least = min(weight(c.found) for c in candidates)
        tied = [c for c in candidates if weight(c.found) == least and c.text]
        if len({c.text for c in tied}) < 2:
            return candidates
        scorings = [
            partial(self._engine.score, [text],
                    context=PROMPTS["plain"](c.text, tgt_lang, src_lang, None), deadline=deadline)
            for c in tied
        ]  # fmt: skip
        try:
            backs = [result()[0] for result in at_once(scorings)]
        except (EngineError, EngineDeadlineError):
            return candidates
        return [replace(c, back=back) for c, back in zip(tied, backs, strict=True)]


def at_once(calls: Sequence[Callable[[], T]]) -> list[Callable[[], T]]:
    """Each call started in a thread of its own; each one's result (or its error) when asked
    for, in order."""
    pool = ThreadPoolExecutor(max_workers=max(len(calls), 1), thread_name_prefix="translate")
    futures = [pool.submit(call) for call in calls]
    pool.shutdown(wait=False)
    return [future.result for future in futures]


def token_budget(text: str) -> int:
    """About one token per Chinese character either way, one per 4 English letters: a
    character-count budget covers both directions and cuts a runaway answer early."""
    return min(32 + len(text), 600)
