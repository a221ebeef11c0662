"""What Chinese repair reads: the KenLM word trigram, same-pinyin confusion sets, the
common character set, jieba's word list indexed by pinyin, and OpenCC t2s.

Loading takes about 3 s (jieba's dictionary, then pinyin for 120k words); scoring one
sentence takes tens of microseconds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from voxnode.models.model_store import ModelStore
from voxnode.services.repair.zh_fuzzy_pinyin import fuzzy_alternatives

_NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
_TITLE = re.compile(r"《[^》]*》")


def is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


@dataclass(slots=True)
class ZhLexicon:
    lm_path: Path
    same_pinyin_path: Path
    common_chars_path: Path
    min_word_freq: int = 5
    same_tone: dict[str, str] = field(default_factory=dict)
    other_tone: dict[str, str] = field(default_factory=dict)
    common: frozenset[str] = frozenset()
    words: dict[str, int] = field(default_factory=dict)
    by_pinyin: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    _lm: object = None
    _jieba: object = None
    _tagger: object = None
    _t2s: object = None

    @classmethod
    def pulled(cls, store: ModelStore, lm_model: str, lexicon_model: str) -> ZhLexicon:
        """The lexicon on the catalog's two models (pulled when missing), not loaded yet."""
        lm = store.pull(lm_model).parent
        data = store.pull(lexicon_model).parent
        return cls(
            lm_path=lm / "zh_CN.lm",
            same_pinyin_path=data / "same_pinyin.txt",
            common_chars_path=data / "common_char_set.txt",
        )

    def load(self) -> None:
        import jieba
        import kenlm
        import opencc
        from pypinyin import lazy_pinyin

        self._lm = kenlm.Model(str(self.lm_path))
        for line in self.same_pinyin_path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                continue
            cells = line.split("\t")
            if len(cells) >= 2 and len(cells[0]) == 1:
                self.same_tone[cells[0]] = cells[1]
                self.other_tone[cells[0]] = cells[2] if len(cells) > 2 else ""
        self.common = frozenset(self.common_chars_path.read_text(encoding="utf-8"))
        jieba.setLogLevel(60)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        self._jieba = tokenizer
        import jieba.posseg

        self._tagger = jieba.posseg.POSTokenizer(tokenizer)
        dictionary = Path(os.path.dirname(jieba.__file__)) / "dict.txt"
        for line in dictionary.read_text(encoding="utf-8").splitlines():
            word, freq, *_ = line.split(" ")
            self.words[word] = int(freq)
            if 2 <= len(word) <= 4 and int(freq) >= self.min_word_freq and all(map(is_han, word)):
                self.by_pinyin.setdefault(tuple(lazy_pinyin(word)), []).append(word)
        self._t2s = opencc.OpenCC("t2s")

    def score(self, text: str) -> float:
        """log10 probability of the sentence under the word trigram, segmented by jieba into
        words the trigram knows (`lm_tokens`)."""
        tokens = " ".join(self.lm_tokens(text))
        return float(self._lm.score(tokens, bos=True, eos=True))  # type: ignore[attr-defined]

    def lm_tokens(self, text: str) -> list[str]:
        words = self._jieba.lcut(text, HMM=False) if text else []  # type: ignore[attr-defined]
        return [piece for word in words for piece in self.lm_words(word)]

    def begin(self, context: str = "") -> object:
        """The trigram's state at a sentence's start, after `context` (for `advance`)."""
        import kenlm

        state = kenlm.State()
        self._lm.BeginSentenceWrite(state)  # type: ignore[attr-defined]
        return self.advance(state, self.lm_tokens(context))[1]

    def advance(self, state: object, tokens: Sequence[str]) -> tuple[float, object]:
        """log10 probability of `tokens` after `state`, and the state after them (states are
        hashable: two paths that end in the same one score the same from there)."""
        import kenlm

        total = 0.0
        for token in tokens:
            out = kenlm.State()
            total += self._lm.BaseScore(state, token, out)  # type: ignore[attr-defined]
            state = out
        return total, state

    def end(self, state: object) -> float:
        """log10 probability of the sentence ending after `state`."""
        return self.advance(state, ("</s>",))[0]

    def lm_words(self, word: str) -> list[str]:
        """`word` as the trigram's own words: whole when it knows it, else split by longest
        known prefix, down to characters. Most of jieba's 350k words are not in libime's
        vocabulary (这份 is not; 这 and 份 are): scored whole, such a word got the <unk>
        probability, worse than a real word but better than its own characters, whatever it
        was (翻译证份合同 scored within 1.8 of 翻译这份合同)."""
        lm = self._lm
        if len(word) == 1 or word in lm:  # type: ignore[operator]
            return [word]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start + 1 and word[start:end] not in lm:  # type: ignore[operator]
                end -= 1
            pieces.append(word[start:end])
            start = end
        return pieces

    def words_sounding_like(
        self, key: tuple[str, ...], fuzzy_weight: float | None = 1.0
    ) -> list[tuple[str, float]]:
        """Dictionary words with this toneless pinyin (cost 0), then, unless `fuzzy_weight` is
        None, those one near-homophone syllable away (their rule's cost times the weight)."""
        found = [(word, 0.0) for word in self.by_pinyin.get(key, ())]
        if fuzzy_weight is None:
            return found
        for k, syllable in enumerate(key):
            for other, cost in fuzzy_alternatives(syllable):
                near = (*key[:k], other, *key[k + 1 :])
                found += [(word, cost * fuzzy_weight) for word in self.by_pinyin.get(near, ())]
        return found

    def word_positions(self, text: str) -> set[int]:
        """Positions inside a word of two or more characters of jieba's segmentation."""
        return {k for start, end in self.word_spans(text) for k in range(start, end)}

    def word_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each word of two or more characters of jieba's segmentation."""
        if self._jieba is None:
            return []
        found, position = [], 0
        for word in self._jieba.lcut(text, HMM=False):  # type: ignore[attr-defined]
            if len(word) >= 2:
                found.append((position, position + len(word)))
            position += len(word)
        return found

    def name_positions(self, text: str) -> set[int]:
        """Positions inside a person's name (jieba's part-of-speech tags nr, nrfg, nrt, its
        HMM finding unknown names) or a title in 《》: a name's characters are chosen, not
        heard wrong, and the trigram has seen few of them (张俐娜 -> 张李娜)."""
        found: set[int] = set()
        for match in _TITLE.finditer(text):
            found.update(range(match.start(), match.end()))
        if self._tagger is None:
            return found
        position = 0
        for word, flag in self._tagger.cut(text):  # type: ignore[attr-defined]
            if flag in _NAME_TAGS:
                found.update(range(position, position + len(word)))
            position += len(word)
        return found

    def to_simplified(self, text: str) -> str:
        return str(self._t2s.convert(text))  # type: ignore[attr-defined]
