"""The embedding worker's limits: too long is refused (naming the input) or cut on request."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from voxnode.contracts.embedding import EmbeddingRequest, InputType
from voxnode.contracts.errors import BadInputError
from voxnode.services.embed.app import E5Worker
from voxnode.services.embed.settings import EmbedSettings


class CharModel:
    """A token per character plus three (the prefix and the two specials)."""

    dim = 4

    def __init__(self) -> None:
        self.seen: list[tuple[list[str], bool]] = []

    def encode(self, texts: list[str], is_query: bool = False) -> Any:
        self.seen.append((texts, is_query))
        return np.ones((len(texts), self.dim), dtype=np.float32) / 2

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(text) + 3


def worker() -> tuple[E5Worker, CharModel]:
    model = CharModel()
    return E5Worker(EmbedSettings(max_tokens=10), model=model), model


def test_answers_in_openai_shape_with_usage() -> None:
    w, model = worker()
    answer = w.embed(EmbeddingRequest(input=["ab", "cde"], input_type=InputType.PASSAGE))
    assert [item.index for item in answer.data] == [0, 1]
    assert answer.data[0].embedding == [0.5] * 4
    assert (answer.usage.prompt_tokens, answer.truncated) == (11, [])
    assert model.seen == [(["ab", "cde"], False)]
    assert w.embed(EmbeddingRequest(input="q")).usage.total_tokens == 4  # one string, query


@pytest.mark.parametrize(
    ("inputs", "code", "names"),
    [
        (["ok", "x" * 8], "INPUT_TOO_LONG", "input 1 has 11 tokens"),
        (["ok", " "], "EMPTY_INPUT", "input 1 is empty"),
        (["a"] * 257, "TOO_MANY_INPUTS", "257 inputs"),
    ],
)
def test_refusals_name_the_input(inputs: list[str], code: str, names: str) -> None:
    with pytest.raises(BadInputError) as caught:
        worker()[0].embed(EmbeddingRequest(input=inputs))
    assert caught.value.code == code and names in caught.value.message


def test_truncate_cuts_to_the_limit_and_says_which() -> None:
    w, model = worker()
    answer = w.embed(EmbeddingRequest(input=["ok", "abcdefghij"], truncate=True))
    assert answer.truncated == [1]
    assert model.seen[-1][0] == ["ok", "abcdefg"]  # 7 characters + 3 = the limit of 10
    assert answer.usage.prompt_tokens == 5 + 10
