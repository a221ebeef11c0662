"""StreamWatch: the first token and the usage of an SSE answer, however it is cut."""

from __future__ import annotations

import json

import pytest

from voxnode.api.llm_timing import StreamWatch
from voxnode.contracts.openai import UsageOut


def event(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


ROLE = event({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
WORD = event({"choices": [{"index": 0, "delta": {"content": "Paris"}}]})
USAGE = event({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2,
                                        "total_tokens": 11}})  # fmt: skip
DONE = b"data: [DONE]\n\n"


@pytest.mark.parametrize("size", [1, 7, 10_000])
def test_first_content_and_usage_whatever_the_chunk_size(size: int) -> None:
    body = ROLE + WORD + USAGE + DONE
    watch = StreamWatch(started=100.0)
    chunks = [body[offset : offset + size] for offset in range(0, len(body), size)]
    for index, chunk in enumerate(chunks):
        watch.feed(chunk, now=100.0 + 0.01 * (index + 1))  # chunk i arrives at 100 + i/100
    word_ends_in = (len(ROLE + WORD) - 1) // size  # the chunk that completes the word's event
    timing = watch.timing(now=102.0)
    assert timing.first_token_s == pytest.approx(0.01 * (word_ends_in + 1))
    assert timing.total_s == pytest.approx(2.0) and timing.stream
    assert timing.usage == UsageOut(prompt_tokens=9, completion_tokens=2, total_tokens=11)


def test_the_empty_role_chunk_is_no_token() -> None:
    watch = StreamWatch(started=0.0)
    watch.feed(ROLE, 0.2)
    assert watch.first_token_s is None
    watch.feed(WORD, 0.5)
    assert watch.first_token_s == pytest.approx(0.5)


def test_completion_text_counts_and_garbage_is_ignored() -> None:
    watch = StreamWatch(started=0.0)
    watch.feed(b"data: not json\n\n: a comment\n\n" + event([1, 2]), 0.1)
    assert watch.first_token_s is None
    watch.feed(event({"choices": [{"index": 0, "text": "Hi"}]}), 0.3)
    assert watch.first_token_s == pytest.approx(0.3) and watch.usage is None


def test_an_error_event_is_no_token() -> None:
    watch = StreamWatch(started=0.0)
    watch.feed(event({"error": {"code": "STREAM_BROKEN", "message": "x"}}), 0.2)
    assert watch.timing(0.3).first_token_s is None
