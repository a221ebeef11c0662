"""A stream's events leave in utterance order."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from voxnode.pipeline.utterance_order import UtteranceOrder


class Said(BaseModel):
    what: str


@pytest.mark.anyio
async def test_a_later_utterance_waits_for_the_one_before() -> None:
    out: list[str] = []

    async def emit(event: BaseModel) -> None:
        out.append(event.what)  # type: ignore[attr-defined]

    order = UtteranceOrder(emit)
    await order.push(1, Said(what="1a"))
    await order.push(0, Said(what="0a"))
    await order.push(2, Said(what="2a"))
    await order.finish(2)
    await order.push(1, Said(what="1b"))
    assert out == ["0a"]
    await order.push(0, Said(what="0b"))
    await order.finish(0)
    assert out == ["0a", "0b", "1a", "1b"]
    await order.push(1, Said(what="1c"))
    await order.finish(1)  # 2 had finished already: its events follow at once
    assert out == ["0a", "0b", "1a", "1b", "1c", "2a"]
    await order.push(3, Said(what="3a"))
    assert out[-1] == "3a"
