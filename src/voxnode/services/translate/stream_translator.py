"""The translation as a stream of pieces: the LLM's answer is cut into clauses as it is
generated (clauses.py), each clause is checked (piece_guards.py) and given out at once, so
that the node can speak it while the next one is being generated.

The first prompt is asked (the same messages and sampling as the non-streamed translator's
first attempt, so that the same model gives the same words); the guards' policy for a piece
that fails is piece_guards.verdict. `stop` ends the generation at the next token (the
caller went away): nothing more is given out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from voxnode.contracts.translate_stream import TranslationDone, TranslationPiece
from voxnode.engines.llm_engine import LlmEngine, Piece, Sampling
from voxnode.services.translate.clauses import ClauseCutter, ClauseRules, join_pieces, rules_for
from voxnode.services.translate.guards import issues
from voxnode.services.translate.piece_guards import (
    CUT_SHORT,
    Verdict,
    clean_closing,
    clean_first,
    piece_issues,
    verdict,
)
from voxnode.services.translate.prompts import PROMPTS
from voxnode.services.translate.quality import estimate
from voxnode.services.translate.translator import CJK_LANGUAGES, LlmTranslator, token_budget

StreamEvent = TranslationPiece | TranslationDone


@dataclass(slots=True)
class _Tally:
    """The answer's log-probability and length so far (for the quality estimate)."""

    logprob: float | None = 0.0
    tokens: int = 0
    counted: int | None = None

    def add(self, piece: Piece) -> None:
        if piece.text:
            self.tokens += 1
            self.logprob = (
                None if self.logprob is None or piece.logprob is None
                else self.logprob + piece.logprob
            )  # fmt: skip
        if piece.usage is not None:
            self.counted = piece.usage.completion_tokens


class StreamingTranslator:
    def __init__(
        self, engine: LlmEngine, translator: LlmTranslator, *, prompt: str, low_quality: float
    ):
        self._engine = engine
        self._translator = translator
        self._prompt = prompt
        self._low_quality = low_quality
        self.name = translator.name

    def translate(
        self, text: str, src_lang: str, tgt_lang: str, *,
        previous: tuple[str, str] | None, deadline: float, stop: threading.Event,
    ) -> Iterator[StreamEvent]:  # fmt: skip
        started = time.monotonic()
        rules = rules_for(tgt_lang)
        sampling = Sampling(
            max_tokens=token_budget(text),
            stop=("\n",),
            no_cjk=tgt_lang not in CJK_LANGUAGES,
            no_latin_words=tgt_lang in CJK_LANGUAGES,
        )
        messages = PROMPTS[self._prompt](text, src_lang, tgt_lang, previous)
        tally = _Tally()
        spoken: list[str] = []
        cut_short: list[str] = []
        opened = False
        generated = self._engine.stream(messages, sampling, deadline=deadline)
        try:
            for clause in _clauses(generated, ClauseCutter(rules), tally, stop):
                if not spoken:
                    clause, opened = clean_first(clause)
                clause = clean_closing(clause) if opened else clause
                if not clause:
                    continue
                found = piece_issues(text, clause, tgt_lang)
                decided = verdict(found, spoken=len(spoken))
                if decided is Verdict.FALLBACK:
                    break
                if decided is Verdict.STOP:
                    cut_short = [*found, CUT_SHORT]
                    break
                spoken.append(clause)
                yield TranslationPiece(index=len(spoken) - 1, text=clause)
        finally:
            close = getattr(generated, "close", None)
            if close is not None:
                close()  # the engine stops generating (its HTTP stream is closed)
        if stop.is_set():
            return
        if not spoken:  # the first piece was no translation, or there was no answer at all
            yield from self._fallback(text, src_lang, tgt_lang, previous, deadline, started)
            return
        whole = join_pieces(spoken, rules)
        found = list(dict.fromkeys([*cut_short, *issues(text, whole, src_lang, tgt_lang)]))
        tokens = tally.counted or tally.tokens
        quality = estimate(tally.logprob, tokens, found)
        yield TranslationDone(
            text=whole, engine=self.name, process_time_ms=_ms_since(started), quality=quality,
            low_confidence=bool(found) or quality < self._low_quality, issues=found,
        )  # fmt: skip

    def _fallback(
        self, text: str, src_lang: str, tgt_lang: str, previous: tuple[str, str] | None,
        deadline: float, started: float,
    ) -> Iterator[StreamEvent]:  # fmt: skip
        """Nothing was spoken: the non-streamed translator answers, as pieces at once."""
        result = self._translator.translate(
            text, src_lang, tgt_lang, previous=previous, deadline=deadline, skip=(self._prompt,)
        )
        rules = rules_for(tgt_lang)
        pieces = cut_all(result.text, rules)
        for index, piece in enumerate(pieces):
            yield TranslationPiece(index=index, text=piece)
        yield TranslationDone(
            text=join_pieces(pieces, rules), engine=self.name,
            process_time_ms=_ms_since(started), quality=result.quality,
            low_confidence=result.low_confidence, issues=list(result.issues), fallback=True,
        )  # fmt: skip


def cut_all(text: str, rules: ClauseRules) -> list[str]:
    cutter = ClauseCutter(rules)
    return cutter.feed(text) + cutter.finish()


def _clauses(
    generated: Iterator[Piece], cutter: ClauseCutter, tally: _Tally, stop: threading.Event
) -> Iterator[str]:
    for piece in generated:
        if stop.is_set():
            return
        tally.add(piece)
        yield from cutter.feed(piece.text)
    yield from cutter.finish()


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
