"""Chinese ASR repair: homophone spans found and fixed by a language model, minimally.

Whisper's Chinese errors are mostly homophones (会议是 for 会议室) and traditional
characters. For each sentence:
1. OpenCC t2s.
2. Candidates, each one span replaced: a character by one of the same pinyin (same tone
   first, another tone costs `tone_penalty`), or a 2-4 character window by a dictionary word
   with the same toneless pinyin that differs in at most two characters. Only common Han
   characters outside protected terms, transliterated names, person names (jieba's tags)
   and 《titles》 are ever replaced. Also runs several characters long: the changed runs
   of the sentence re-decoded whole from its sound (zh_lattice), and the runs Whisper's
   other hypotheses hold in this one's place (zh_alternatives, when the request has them).
3. Each candidate's gain = KenLM log10 P(candidate) - log10 P(sentence), scored after the
   session's previous sentence (micro_context) when there is one, minus penalties: another
   tone, each extra changed character, and replacing a window that is already a word.
4. Greedy: apply the best candidate when its gain clears `first_margin`, then look again
   with `next_margin` (a sentence with one error often has another), within
   `search_budget_ms`: when it runs out, the edits made so far stand (none made: TIMEOUT).
   Edits keep the sentence's length, and a trigram's judgement is local: after an edit only
   the candidates within `RESCORE_REACH` characters of it are scored again; the others keep
   their gain from the search before.
5. The gray zone, when an LLM judge is given (ZhMargins.llm_judge): a best candidate that
   falls short of the margin by at most `judge_band` is made when the LLM scores the
   sentence with it higher by `judge_margin` nats; one the LLM refuses ends the search.
6. Optional residual check (`residual_margin`, off by default): when a candidate still
   gains that much after the last edit, answer PASS instead of a part repair.
Margins were tuned on the dev sets only (SIGHAN15, rmrb, and our Whisper set
data/zh_whisper_tts.jsonl).
"""

from __future__ import annotations

import time
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass

from voxnode.engines.llm_engine import EngineDeadlineError, EngineError, LlmEngine
from voxnode.services.common.deadline import DeadlineExceeded
from voxnode.services.repair.settings import ZhMargins
from voxnode.services.repair.zh_alternatives import alternative_rewrites
from voxnode.services.repair.zh_fuzzy_pinyin import tone, toneless
from voxnode.services.repair.zh_lattice import Rewrite, joint_rewrites
from voxnode.services.repair.zh_lexicon import ZhLexicon, is_han

RESCORE_REACH = 8
"""Characters on each side of an edit whose candidates are scored again: two words of
trigram context, up to four characters each."""
Key = tuple[int, str, str]
"""A candidate: where, what it replaces, with what."""
TRANSLITERATION = frozenset("尔斯达克特娜丽莎亚尼维奥伊拉德布罗基卡夫普里米纳西索吉诺森兹蒂")
"""Characters that spell foreign names (伊梅尔达, 鲍谟尔): a character with two of these
within two places of it is part of a name and is never edited."""


@dataclass(frozen=True, slots=True)
class ZhEdit:
    start: int
    old: str
    new: str
    gain: float


@dataclass(frozen=True, slots=True)
class ZhOutcome:
    text: str
    edits: tuple[ZhEdit, ...]
    simplified: bool
    """OpenCC t2s changed the input."""
    abstained: bool
    """Edits were found but the sentence still looked wrong: nothing applied."""


class ZhRepairer:
    def __init__(
        self, lexicon: ZhLexicon, margins: ZhMargins | None = None, *,
        judge: LlmEngine | None = None,
    ):  # fmt: skip
        self.lexicon = lexicon
        self.margins = margins or ZhMargins()
        self.judge = judge
        """The gray zone's second judge (None: the trigram decides alone)."""

    def repair(
        self,
        text: str,
        *,
        context: str = "",
        protected: Sequence[str] = (),
        deadline: float | None = None,
        alternatives: Sequence[str] = (),
    ) -> ZhOutcome:
        """`alternatives`: what else the ASR heard (its N-best, likeliest first)."""
        simplified = self.lexicon.to_simplified(text)
        frozen = _protected_positions(simplified, protected)
        m = self.margins
        if m.protect_names:
            frozen |= self.lexicon.name_positions(simplified)
        current, edits = simplified, list[ZhEdit]()
        margin = m.first_margin
        residual = float("-inf")
        budget = time.monotonic() + m.search_budget_ms / 1000
        deadline = budget if deadline is None else min(deadline, budget)
        known: dict[Key, float] = {}
        rewrites = self._joint_rewrites(simplified, frozen, context)
        rewrites += self._alternative_rewrites(simplified, frozen, alternatives)
        for _ in range(m.max_edits + 1):
            near = None
            if edits:
                near = range(edits[-1].start - RESCORE_REACH,
                             edits[-1].start + len(edits[-1].new) + RESCORE_REACH)  # fmt: skip
            try:
                best = self._best_candidate(
                    current, context, frozen, deadline, known, near, rewrites
                )
            except DeadlineExceeded:
                if not edits:
                    raise
                break  # each edit made so far cleared its margin: they stand
            if best is not None and best.gain < margin and len(edits) < m.max_edits:
                best = self._judged(current, best, context, margin, deadline)
            if best is None or best.gain < margin or len(edits) == m.max_edits:
                residual = best.gain if best else residual
                break
            current = current[: best.start] + best.new + current[best.start + len(best.old) :]
            edits.append(best)
            margin = m.next_margin
        abstained = bool(edits) and m.residual_margin is not None and residual >= m.residual_margin
        if abstained:
            current, edits = simplified, []
        return ZhOutcome(current, tuple(edits), simplified != text, abstained)

    def _judged(
        self, text: str, best: ZhEdit, context: str, margin: float, deadline: float | None
    ) -> ZhEdit:
        """`best` with the margin's gain when the LLM judge finds it likelier by
        `judge_margin` nats, else as it was (a judge that fails or runs late changes nothing)."""
        m = self.margins
        if self.judge is None or best.gain < margin - m.judge_band:
            return best
        candidate = text[: best.start] + best.new + text[best.start + len(best.old) :]
        try:
            before, after = self.judge.score([text, candidate], context=context, deadline=deadline)
        except (EngineError, EngineDeadlineError):
            return best
        if after - before < m.judge_margin:
            return best
        return ZhEdit(best.start, best.old, best.new, margin)

    def _best_candidate(
        self, text: str, context: str, frozen: set[int], deadline: float | None,
        known: dict[Key, float], near: range | None, rewrites: Sequence[Rewrite] = (),
    ) -> ZhEdit | None:  # fmt: skip
        """`known`: each candidate's trigram gain from the search before, kept for those
        outside `near` (the last edit's reach; None: score every one) and updated here."""
        lexicon = self.lexicon
        base: float | None = None
        best: ZhEdit | None = None
        scored: dict[str, float] = {}
        for count, (start, old, new, penalty) in enumerate(
            self._candidates(text, frozen, rewrites)
        ):
            if deadline is not None and count % 32 == 0 and time.monotonic() > deadline:
                raise DeadlineExceeded
            candidate = text[:start] + new + text[start + len(old) :]
            key = (start, old, new)
            far = near is not None and (start + len(old) <= near.start or start >= near.stop)
            if candidate not in scored and far and key in known:
                scored[candidate] = known[key]
            elif candidate not in scored:
                if base is None:
                    base = lexicon.score(context + text)
                scored[candidate] = lexicon.score(context + candidate) - base
            known[key] = scored[candidate]
            # one sentence reached by several windows (一时 -> 衣食, 一时住行 -> 衣食住行) is
            # judged by its cheapest: the 4-character word, not the 2-character one
            gain = scored[candidate] - penalty
            if best is None or gain > best.gain:
                best = ZhEdit(start, old, new, gain)
        return best

    def _editable(self, text: str, frozen: set[int]) -> list[bool]:
        common = self.lexicon.common
        return [
            is_han(c) and c in common and i not in frozen and not _in_name(text, i)
            for i, c in enumerate(text)
        ]

    @property
    def _fuzzy_weight(self) -> float | None:
        m = self.margins
        return m.fuzzy_weight if m.fuzzy_pinyin else None

    def _joint_rewrites(self, text: str, frozen: set[int], context: str) -> list[Rewrite]:
        """Several neighbouring characters changed at once (zh_lattice), when on."""
        m = self.margins
        if not m.joint_rewrites:
            return []
        return joint_rewrites(
            self.lexicon, text, self._editable(text, frozen), context=context,
            change_cost=m.joint_change_cost, tone_cost=m.tone_penalty,
            fuzzy_weight=self._fuzzy_weight,
        )  # fmt: skip

    def _alternative_rewrites(
        self, text: str, frozen: set[int], alternatives: Sequence[str]
    ) -> list[Rewrite]:
        """Runs the ASR's other hypotheses hold in the place of this one's (zh_alternatives)."""
        bonus = self.margins.alternative_char_bonus
        if bonus is None or not alternatives:
            return []
        hypotheses = [self.lexicon.to_simplified(h) for h in alternatives]
        editable = self._editable(text, frozen)
        return alternative_rewrites(text, hypotheses, editable, char_bonus=bonus)

    def _candidates(
        self, text: str, frozen: set[int], rewrites: Sequence[Rewrite] = ()
    ) -> Iterator[tuple[int, str, str, float]]:
        lexicon, m = self.lexicon, self.margins
        editable = self._editable(text, frozen)
        spans = lexicon.word_spans(text)
        for rewrite in rewrites:
            if text[rewrite.start : rewrite.start + len(rewrite.old)] != rewrite.old:
                continue
            pairs = enumerate(zip(rewrite.old, rewrite.new, strict=True))
            changed = [rewrite.start + k for k, (a, b) in pairs if a != b]
            # Whisper's errors break words up (拖平之负); a rewrite of real words
            # (肢残人 -> 之残忍) pays for each word it changes
            words = sum(any(a <= k < b for k in changed) for a, b in spans)
            penalty = m.joint_char_penalty * (rewrite.changed - 1) + rewrite.cost
            words *= rewrite.word_cost
            yield rewrite.start, rewrite.old, rewrite.new, penalty + m.known_word_penalty * words
        in_words = {k for a, b in spans for k in range(a, b)} if m.inside_word_penalty else set()
        for i, char in enumerate(text):
            if not editable[i]:
                continue
            cost = m.inside_word_penalty if i in in_words else 0.0
            for other in lexicon.same_tone.get(char, ""):
                if other != char and other in lexicon.common:
                    yield i, char, other, cost
            for other in lexicon.other_tone.get(char, ""):
                if other != char and other in lexicon.common:
                    yield i, char, other, cost + m.tone_penalty
        sounds = [toneless(c) if is_han(c) else None for c in text]
        islands = _islands(text, lexicon.words) if m.island_bonus else set()
        for size in (2, 3, 4):
            for i in range(len(text) - size + 1):
                key = sounds[i : i + size]
                if None in key:
                    continue
                window = text[i : i + size]
                for word, heard_as in lexicon.words_sounding_like(tuple(key), self._fuzzy_weight):  # type: ignore[arg-type]
                    changed = [k for k in range(size) if word[k] != window[k]]
                    if not changed or len(changed) > 2:
                        continue
                    if not all(editable[i + k] and word[k] in lexicon.common for k in changed):
                        continue
                    penalty = m.extra_char_penalty * (len(changed) - 1) + heard_as
                    if window in lexicon.words:
                        penalty += m.known_word_penalty
                    elif size >= 3:
                        penalty -= m.long_word_bonus
                    elif i in islands and i + 1 in islands:
                        penalty -= min(m.island_bonus, heard_as)
                    penalty += sum(
                        m.tone_penalty for k in changed if tone(word[k]) != tone(window[k])
                    )
                    yield i, window, word, penalty


def _islands(text: str, words: Container[str]) -> set[int]:
    """Positions of Han characters that no 2-4 character dictionary word of the text covers."""
    covered: set[int] = set()
    for size in (2, 3, 4):
        for start in range(len(text) - size + 1):
            if text[start : start + size] in words:
                covered.update(range(start, start + size))
    return {i for i, c in enumerate(text) if is_han(c) and i not in covered}


def _in_name(text: str, i: int) -> bool:
    around = text[max(i - 2, 0) : i] + text[i + 1 : i + 3]
    return sum(c in TRANSLITERATION for c in around) >= 2


def _protected_positions(text: str, terms: Sequence[str]) -> set[int]:
    frozen: set[int] = set()
    for term in terms:
        if not term:
            continue
        start = text.find(term)
        while start >= 0:
            frozen.update(range(start, start + len(term)))
            start = text.find(term, start + 1)
    return frozen
