"""Tokens an answer may not use, banned at sampling time (which costs nothing per token,
where a grammar makes llama.cpp check the whole vocabulary at every token it rejects):

- `cjk`, for a translation into English: any token with Chinese, Japanese or fullwidth
  characters (whole or partial: a CJK character starts with one of the UTF-8 lead bytes
  E3-E9, fullwidth punctuation with EF BC or EF BD).
- `latin_words`, for a translation into Chinese: a space and a lower-case English word
  (" executives", " shelters"), the way a small model copies a word of the source into its
  Chinese. Names and acronyms (" Heathrow", " NASA"), digits and single letters stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LATIN_WORD = re.compile(rb" [a-z]{2,}")


def is_cjk_piece(piece: bytes) -> bool:
    return (
        any(0xE3 <= byte <= 0xE9 for byte in piece)
        or b"\xef\xbc" in piece
        or (b"\xef\xbd" in piece)
    )


def is_latin_word_piece(piece: bytes) -> bool:
    return LATIN_WORD.fullmatch(piece) is not None


BANS: dict[str, Callable[[bytes], bool]] = {"cjk": is_cjk_piece, "latin_words": is_latin_word_piece}


def banned_token_ids(detokenize: Callable[[int], bytes], n_vocab: int, ban: str) -> list[int]:
    """Every token id of the ban (cjk: about 28k of Qwen's 152k; latin_words: about 25k;
    the scan takes about a second)."""
    banned = BANS[ban]
    return [token for token in range(n_vocab) if banned(detokenize(token))]


def model_banned_token_ids(model_path: str, ban: str) -> list[int] | None:
    """The ids for a GGUF file, read through llama-cpp-python's vocabulary-only load; None
    where that binding is not installed."""
    try:
        import llama_cpp
    except ImportError:
        return None
    vocab = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    try:
        detokenize = lambda t: bytes(vocab.detokenize([t]))  # noqa: E731
        return banned_token_ids(detokenize, int(vocab.n_vocab()), ban)
    finally:
        vocab.close()
