"""Tokens an answer may not use: for a translation into English, any token with Chinese,
Japanese or fullwidth characters (whole or partial: a CJK character starts with one of the
UTF-8 lead bytes E3-E9, fullwidth punctuation with EF BC or EF BD). Banning them at sampling
time costs nothing per token, where a grammar makes llama.cpp check the whole vocabulary at
every token it rejects."""

from __future__ import annotations

from collections.abc import Callable


def is_cjk_piece(piece: bytes) -> bool:
    return (
        any(0xE3 <= byte <= 0xE9 for byte in piece)
        or b"\xef\xbc" in piece
        or (b"\xef\xbd" in piece)
    )


def cjk_token_ids(detokenize: Callable[[int], bytes], n_vocab: int) -> list[int]:
    """Every token id whose bytes hold a CJK or fullwidth character (about 28k of Qwen's
    152k; the scan takes under a second)."""
    return [token for token in range(n_vocab) if is_cjk_piece(detokenize(token))]


def model_cjk_token_ids(model_path: str) -> list[int] | None:
    """The ids for a GGUF file, read through llama-cpp-python's vocabulary-only load; None
    where that binding is not installed."""
    try:
        import llama_cpp
    except ImportError:
        return None
    vocab = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    try:
        return cjk_token_ids(lambda t: bytes(vocab.detokenize([t])), int(vocab.n_vocab()))
    finally:
        vocab.close()
