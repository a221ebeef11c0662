"""Property: whatever a scheduler (or a node) sends, the message parsers give a typed
message or a pydantic ValidationError, never another exception; and what parses dumps and
parses again to the same message."""

from __future__ import annotations

import json
import typing
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from voxnode.contracts import scheduler_messages

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=10,
)  # fmt: skip


def members(union: Any) -> list[type[BaseModel]]:
    return list(typing.get_args(typing.get_args(union)[0]))


ADAPTERS = [scheduler_messages.scheduler_message, scheduler_messages.node_message]
TYPES = [
    str(typing.get_args(model.model_fields["type"].annotation)[0])
    for union in (scheduler_messages.SchedulerMessage, scheduler_messages.NodeMessage)
    for model in members(union)
]


@st.composite
def message_like(draw: st.DrawFn) -> dict[str, Any]:
    """A known `type` tag, then the fields of some message with values of any type."""
    fields = sorted({
        name for union in (scheduler_messages.SchedulerMessage, scheduler_messages.NodeMessage)
        for model in members(union) for name in model.model_fields
    })  # fmt: skip
    raw: dict[str, Any] = {"type": draw(st.sampled_from(TYPES))}
    for name in draw(st.lists(st.sampled_from(fields), max_size=8)):
        raw[name] = draw(JSON)
    return raw


def check(adapter: TypeAdapter[Any], data: str | bytes) -> None:
    try:
        message = adapter.validate_json(data)
    except ValidationError:
        return
    assert isinstance(message, BaseModel)
    assert adapter.validate_json(message.model_dump_json()) == message


@settings(max_examples=300, deadline=None)
@given(value=JSON, which=st.sampled_from(ADAPTERS))
def test_any_json(value: object, which: TypeAdapter[Any]) -> None:
    check(which, json.dumps(value))


@settings(max_examples=500, deadline=None)
@given(raw=message_like(), which=st.sampled_from(ADAPTERS))
def test_message_shaped_json(raw: dict[str, Any], which: TypeAdapter[Any]) -> None:
    check(which, json.dumps(raw))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200), which=st.sampled_from(ADAPTERS))
def test_any_bytes(data: bytes, which: TypeAdapter[Any]) -> None:
    check(which, data)
