"""Engine choice and fallback in the seed's order, with fake engines."""

from __future__ import annotations

import pytest

from voxnode.engines.engine_chain import SEED_ORDER, EngineChain, engine_order
from voxnode.engines.llm_engine import (
    ChatMessage,
    EngineDeadlineError,
    EngineLoadError,
    EngineUnavailableError,
    LlmEngine,
)
from voxnode.testing.fake_engine import FakeEngine

HELLO = [ChatMessage("user", "hello")]


def test_the_fake_meets_the_protocol() -> None:
    assert isinstance(FakeEngine(), LlmEngine)


def test_an_engine_that_cannot_load_is_skipped() -> None:
    def broken() -> FakeEngine:
        raise EngineUnavailableError("no binding here")

    b = FakeEngine("b", reply="from b")
    chain = EngineChain([("a", broken), ("b", lambda: b)])
    assert chain.chat(HELLO).text == "from b"
    assert chain.failures == [("a", "no binding here")]


def test_a_crash_mid_call_closes_the_engine_and_retries_on_the_next() -> None:
    a, b = FakeEngine("a", reply="from a", fail_after=1), FakeEngine("b", reply="from b")
    chain = EngineChain([("a", lambda: a), ("b", lambda: b)])
    assert chain.chat(HELLO).text == "from a"
    assert chain.score(["xx", "x"]) == [-2.0, -1.0]  # a crashed; b answered the same call
    assert a.closed and chain.active is b
    assert chain.failures[0][0] == "a"


def test_stream_falls_back_before_the_first_piece() -> None:
    a, b = FakeEngine("a", fail_after=0), FakeEngine("b", reply="two words")
    chain = EngineChain([("a", lambda: a), ("b", lambda: b)])
    assert [p.text for p in chain.stream(HELLO) if p.text] == ["two", " words"]


def test_when_every_engine_fails_the_error_names_each() -> None:
    chain = EngineChain([("a", lambda: FakeEngine("a", fail_after=0))])
    with pytest.raises(EngineLoadError, match="a: a crashed"):
        chain.chat(HELLO)


def test_a_deadline_is_not_a_reason_to_switch() -> None:
    class Late(FakeEngine):
        def chat(self, *args: object, **kwargs: object):  # type: ignore[override]
            raise EngineDeadlineError("late")

    b = FakeEngine("b")
    chain = EngineChain([("a", lambda: Late("a")), ("b", lambda: b)])
    with pytest.raises(EngineDeadlineError):
        chain.chat(HELLO)
    assert chain.active.name == "a" and b.calls == 0


@pytest.mark.parametrize(
    ("choice", "order"),
    [("auto", SEED_ORDER), ("llama-server", ("llama-server",)), ("exllamav2", ("exllamav2",))],
)
def test_engine_order(choice: str, order: tuple[str, ...]) -> None:
    assert engine_order(choice) == order


def test_an_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(EngineLoadError, match="unknown engine 'vllm'"):
        engine_order("vllm")
