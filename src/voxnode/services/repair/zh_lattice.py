"""Joint rewrites: the whole sentence re-decoded from its sound, as an input method does.

The greedy search (zh_repairer) changes one span at a time, and judges each by the trigram
around it. Whisper often mishears several neighbouring characters (拖平之负 for 脱贫致富):
each right character alone then scores worse than the wrong one, because its neighbours,
the trigram's context, are wrong too. This decoder reads the sentence left to right over a
lattice of what each span may have been (the span as heard; a character of the same pinyin
from the confusion sets; a 2-4 character dictionary word of the same or a near pinyin) with
KenLM's state kept along each path, and each changed character paying `change_cost` plus
its tone's and its fuzzy rule's cost. The best path's changed runs are offered to the
greedy search as candidates of their own: the search still judges them by its margins.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from voxnode.services.repair.zh_fuzzy_pinyin import fuzzy_alternatives, tone, toneless
from voxnode.services.repair.zh_lexicon import ZhLexicon, is_han


@dataclass(frozen=True, slots=True)
class Rewrite:
    start: int
    old: str
    new: str
    changed: int
    cost: float
    """What its changed characters paid in the decoder: tone and fuzzy rules, not
    `change_cost` (below 0: a bonus, zh_alternatives)."""
    word_cost: bool = True
    """Whether the search charges it `known_word_penalty` for each real word it changes."""


@dataclass(frozen=True, slots=True)
class _Edge:
    end: int
    surface: str
    tokens: tuple[str, ...]
    cost: float
    """Tone and fuzzy cost of its changed characters."""
    changed: int


@dataclass(slots=True)
class _Path:
    score: float
    state: Any
    surface: str
    changed: int


def joint_rewrites(
    lexicon: ZhLexicon,
    text: str,
    editable: Sequence[bool],
    *,
    context: str = "",
    change_cost: float = 0.5,
    tone_cost: float = 1.0,
    fuzzy_weight: float | None = 1.0,
    beam: int = 8,
    min_changed: int = 2,
    merge_gap: int = 1,
) -> list[Rewrite]:
    """The changed runs of the best path (runs `merge_gap` or fewer characters apart are one
    rewrite), those with at least `min_changed` changed characters."""
    start_state = lexicon.begin(context)
    edges = _edges(lexicon, text, editable, tone_cost, fuzzy_weight)
    paths: list[dict[Any, _Path]] = [{} for _ in range(len(text) + 1)]
    paths[0][start_state] = _Path(0.0, start_state, "", 0)
    for i in range(len(text)):
        if not paths[i]:
            continue
        alive = heapq.nlargest(beam, paths[i].values(), key=lambda p: p.score)
        for edge in edges[i]:
            penalty = edge.cost + change_cost * edge.changed
            for path in alive:
                gain, state = lexicon.advance(path.state, edge.tokens)
                score = path.score + gain - penalty
                known = paths[edge.end].get(state)
                if known is None or score > known.score:
                    paths[edge.end][state] = _Path(
                        score, state, path.surface + edge.surface, path.changed + edge.changed
                    )
    ends = paths[len(text)].values()
    if not ends:
        return []
    best = max(ends, key=lambda p: p.score + lexicon.end(p.state))
    return _runs(text, best.surface, min_changed, merge_gap, tone_cost, fuzzy_weight or 0.0)


def _edges(
    lexicon: ZhLexicon, text: str, editable: Sequence[bool], tone_cost: float,
    fuzzy_weight: float | None,
) -> list[list[_Edge]]:  # fmt: skip
    n = len(text)
    edges: list[list[_Edge]] = [[] for _ in range(n + 1)]
    i = 0
    while i < n:  # a run of non-Han characters is one edge, cut as the trigram's scoring cuts it
        if is_han(text[i]):
            i += 1
            continue
        j = i
        while j < n and not is_han(text[j]):
            j += 1
        edges[i].append(_Edge(j, text[i:j], tuple(lexicon.lm_tokens(text[i:j])), 0.0, 0))
        i = j
    sounds = [toneless(c) if is_han(c) else "" for c in text]
    for i, char in enumerate(text):
        if not is_han(char):
            continue
        edges[i].append(_Edge(i + 1, char, (char,), 0.0, 0))
        if editable[i]:
            for others, cost in ((lexicon.same_tone.get(char, ""), 0.0),
                                 (lexicon.other_tone.get(char, ""), tone_cost)):  # fmt: skip
                for other in others:
                    if other != char and other in lexicon.common:
                        edges[i].append(_Edge(i + 1, other, (other,), cost, 1))
        for size in (2, 3, 4):
            window = text[i : i + size]
            if len(window) < size or not all(map(is_han, window)):
                break
            if window in lexicon.words:
                edges[i].append(_Edge(i + size, window, tuple(lexicon.lm_words(window)), 0.0, 0))
            key = tuple(sounds[i : i + size])
            for word, heard_as in lexicon.words_sounding_like(key, fuzzy_weight):
                changed = [k for k in range(size) if word[k] != window[k]]
                if not changed or not all(
                    editable[i + k] and word[k] in lexicon.common for k in changed
                ):
                    continue
                tones = sum(tone_cost for k in changed if tone(word[k]) != tone(window[k]))
                tokens = tuple(lexicon.lm_words(word))
                edges[i].append(_Edge(i + size, word, tokens, heard_as + tones, len(changed)))
    return edges


def _runs(
    text: str, best: str, min_changed: int, merge_gap: int, tone_cost: float,
    fuzzy_weight: float,
) -> list[Rewrite]:  # fmt: skip
    diff = [k for k in range(len(text)) if text[k] != best[k]]
    groups: list[list[int]] = []
    for k in diff:
        if groups and k - groups[-1][-1] <= merge_gap + 1:
            groups[-1].append(k)
        else:
            groups.append([k])
    found = []
    for group in groups:
        if len(group) < min_changed:
            continue
        a, b = group[0], group[-1] + 1
        cost = 0.0
        for k in group:
            if tone(best[k]) != tone(text[k]):
                cost += tone_cost
            heard, said = toneless(text[k]), toneless(best[k])
            if heard != said:
                cost += fuzzy_weight * dict(fuzzy_alternatives(heard)).get(said, 0.0)
        found.append(Rewrite(a, text[a:b], best[a:b], len(group), cost))
    return found
