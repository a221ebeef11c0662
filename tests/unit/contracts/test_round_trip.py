"""Every wire model round-trips through JSON unchanged, found by reflection.

Every pydantic model defined in a module of `voxnode.contracts` is listed (a new module or
model joins by itself) and one valid instance of each is made by `sample()`, a factory
driven by the fields' annotations and constraints; OVERRIDES gives, per model, only the
field values the factory cannot derive (validators, cross-field rules). A new contract
model the factory cannot build fails here until the factory learns its types or OVERRIDES
gets an entry: that is the completeness this test is for.

Each sample field is set, and to a value other than its default where it can be: a field
that is lost on the way (a wrong alias, a missing serializer) then shows as a difference
instead of hiding behind its default.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

import annotated_types
import pytest
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import voxnode.contracts
from voxnode.contracts import scheduler_messages
from voxnode.contracts.embedding import (
    EmbeddingItem,
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingUsage,
    InputType,
)
from voxnode.contracts.errors import ErrorBody, ErrorCategory, ErrorDetail
from voxnode.contracts.knowledge import KbHit, KbImportRequest, KbQueryRequest, KbQueryResponse
from voxnode.contracts.node_event import EventType, NodeEvent
from voxnode.contracts.repair import Decision, DiffItem, RepairRequest, RepairResponse
from voxnode.contracts.service_status import ServiceState, ServiceStatus

# ----- the family


def contract_models() -> list[type[BaseModel]]:
    """Every BaseModel subclass defined (not imported) in a module of voxnode.contracts."""
    found: list[type[BaseModel]] = []
    prefix = voxnode.contracts.__name__ + "."
    for info in pkgutil.iter_modules(voxnode.contracts.__path__, prefix):
        module = importlib.import_module(info.name)
        for _, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, BaseModel) and member.__module__ == module.__name__:
                found.append(member)
    return sorted(found, key=_name)


def _name(model: type) -> str:
    return f"{model.__module__.removeprefix('voxnode.contracts.')}.{model.__qualname__}"


MODELS = contract_models()

# ----- the sample factory


class CannotSample(Exception):
    """The factory has no value for this annotation or constraint."""


OVERRIDES: dict[str, dict[str, Any]] = {
    "job.JobRequest": {"text": None},  # exactly one of audio or text (a model validator)
    "service_manifest.HealthSpec": {"path": "/ready"},  # must start with "/" (a validator)
    # keep_alive must read as a duration (a validator)
    "openai.ChatCompletionRequest": {"keep_alive": "10m"},
    "openai.CompletionRequest": {"keep_alive": "30s"},
    "openai._Generation": {"keep_alive": "1h"},
    "openai.ScoreRequest": {"context": ""},  # context or messages, not both (a model validator)
    # in_progress_s must be under ack_wait_s (a model validator)
    "node_settings.ClusterSettings": {"in_progress_s": 0.5},
    # a URL (pattern); a secret is never serialised (SecretStr dumps as stars)
    "routing_settings.CloudBackend": {"base_url": "https://cloud.example/v1"},
}
"""Per model (module.Class), the field values the factory cannot derive. Keep it short:
test_every_override_is_needed fails for an entry the factory could do without."""

SAMPLE_PATH = Path("/nonexistent/voxnode-sample")
"""Paths point nowhere: NodeSettings reads `<home>/config.toml`, and there is none here."""


def sample(model: type[BaseModel], overrides: dict[str, dict[str, Any]] | None = None) -> Any:
    """A valid instance of `model` with every field set (OVERRIDES applied, nested too)."""
    overrides = OVERRIDES if overrides is None else overrides
    given = overrides.get(_name(model), {})
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if name in given:
            data[key] = given[name]
            continue
        try:
            data[key] = _value(field.annotation, list(field.metadata), _default(field), overrides)
        except CannotSample as exc:
            raise CannotSample(f"{_name(model)}.{name}: {exc}") from None
    return model.model_validate(data)


def _default(field: FieldInfo) -> Any:
    return None if field.default is PydanticUndefined else field.default


def _value(
    annotation: Any, metadata: list[Any], default: Any, overrides: dict[str, dict[str, Any]]
) -> Any:
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _value(arguments[0], [*metadata, *arguments[1:]], default, overrides)
    if origin in (typing.Union, types.UnionType):
        arms = [arm for arm in arguments if arm is not type(None)]
        return _value(arms[0], metadata, default, overrides)
    if origin is Literal:
        return _other_than(default, list(arguments))
    if origin is list:
        return [_value(arguments[0] if arguments else str, [], None, overrides)]
    if origin is tuple:
        return tuple(_value(a, [], None, overrides) for a in arguments if a is not Ellipsis)
    if origin is dict:
        key, item = arguments or (str, Any)
        return {_value(key, [], None, overrides): _value(item, [], None, overrides)}
    if annotation is Any:
        return "any"
    if not isinstance(annotation, type):
        raise CannotSample(f"no sample for the annotation {annotation!r}")
    if issubclass(annotation, BaseModel):
        return sample(annotation, overrides)
    if issubclass(annotation, enum.Enum):
        return _other_than(default, list(annotation))
    if annotation is bool:
        return not default if isinstance(default, bool) else True
    if annotation in (int, float):
        return _number(annotation, metadata, default)
    if annotation is str:
        return _text(metadata, default)
    if annotation is Path:
        return SAMPLE_PATH
    if annotation is SecretStr:
        return SecretStr("sample-secret")
    raise CannotSample(f"no sample for the type {annotation.__qualname__}")


def _other_than(default: Any, choices: list[Any]) -> Any:
    return next((c for c in choices if c != default), choices[0])


def _number(kind: type, metadata: list[Any], default: Any) -> int | float:
    low: float | None = None
    high: float | None = None
    step = 1 if kind is int else 0.25
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            low = float(item.gt) + step  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Lt):
            high = float(item.lt) - step  # type: ignore[arg-type]
        else:
            raise CannotSample(f"no sample for the constraint {item!r}")
    if low is not None and high is not None:
        value = (low + high) / 2
    elif low is not None:
        value = low + 1.5
    elif high is not None:
        value = high - 1.5
    else:
        value = 7.5
    if value == default:
        value += step if high is None or value + step <= high else -step
    return int(value) if kind is int else value


def _text(metadata: list[Any], default: Any) -> str:
    text = "sample" if default != "sample" else "sample2"
    for item in metadata:
        if isinstance(item, annotated_types.MinLen):
            text = text.ljust(item.min_length, "s")
        elif isinstance(item, annotated_types.MaxLen):
            text = text[: item.max_length]
        elif getattr(item, "pattern", None) is not None:
            if not re.search(item.pattern, text):
                raise CannotSample(f"'{text}' does not match the pattern {item.pattern!r}")
        else:
            raise CannotSample(f"no sample for the constraint {item!r}")
    return text


# ----- the round trips


def test_the_family_is_found() -> None:
    names = {_name(model) for model in MODELS}
    assert {"repair.RepairRequest", "service_manifest.ServiceManifest",
            "scheduler_messages.JobAssign", "node_settings.NodeSettings"} <= names  # fmt: skip
    assert len(MODELS) >= 40, names


@pytest.mark.parametrize("model", MODELS, ids=_name)
def test_round_trip(model: type[BaseModel]) -> None:
    try:
        original = sample(model)
    except (CannotSample, ValidationError) as exc:
        pytest.fail(
            f"cannot build a sample of {_name(model)} (teach sample() the type, or give "
            f"OVERRIDES['{_name(model)}'] the values it cannot derive):\n{exc}"
        )
    again = model.model_validate_json(original.model_dump_json(by_alias=True))
    assert again == masked(original)
    assert "sample-secret" not in original.model_dump_json() + repr(original)


def masked(model: BaseModel) -> BaseModel:
    """`model` as JSON brings it back: every secret (SecretStr) is masked, the rest kept."""
    return model.model_copy(update={name: _masked(value) for name, value in model})


def _masked(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return SecretStr("**********")
    if isinstance(value, BaseModel):
        return masked(value)
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("name", sorted(OVERRIDES))
def test_every_override_is_needed(name: str) -> None:
    """Each overridden field is one the factory cannot satisfy (else it goes)."""
    model = next(m for m in MODELS if _name(m) == name)
    for field in OVERRIDES[name]:
        fewer = {**OVERRIDES, name: {k: v for k, v in OVERRIDES[name].items() if k != field}}
        with pytest.raises((CannotSample, ValidationError)):
            sample(model, fewer)


HAND_MADE: list[BaseModel] = [
    RepairRequest(
        job_id="j", session_id="s", utterance_index=3, lang="zh", text_in="会议是",
        quality_score=0.4, micro_context="上一句", meta={"nbest": ["a", "b"]}, deadline_ms=500,
    ),
    RepairResponse(
        decision=Decision.REPAIR, text_out="会议室", confidence=0.8, reason_codes=["HOMOPHONE"],
        diff=[DiffItem.model_validate({"from": "是", "to": "室", "position": 2})],
        process_time_ms=12.5, service_id="semantic-repair-zh",
    ),
    ErrorBody(error=ErrorDetail(code="X", category=ErrorCategory.TRANSIENT, message="m")),
    NodeEvent(type=EventType.SERVICE_STATE, service_id="a", data={"state": "ready"}),
    NodeEvent(type=EventType.KB_IMPORT_PROGRESS, data={"base": "kb", "documents_done": 1}),
    EmbeddingRequest(input=["a", "b"], input_type=InputType.PASSAGE, truncate=True, deadline_ms=9),
    EmbeddingResponse(
        data=[EmbeddingItem(index=0, embedding=[0.5, -0.5])],
        model="m",
        usage=EmbeddingUsage(prompt_tokens=3, total_tokens=3),
        truncated=[0],
        service_id="e",
    ),
    KbImportRequest(path="/tmp/a.json", id_field="sku", text_fields=["body"], wait=False),
    KbQueryRequest(query="退款", top_k=3, min_cosine=0.8, mode="dense"),
    KbQueryResponse(
        base="kb",
        query="q",
        query_language="en",
        weights={"dense": 1.0, "keyword": 0.375},
        hits=[
            KbHit(
                chunk_id="d#g#0",
                doc_id="d",
                text="t",
                title="T",
                section="S",
                source="f.json#0",
                position=0,
                page=None,
                score=0.1,
                cosine=0.8,
                keyword_score=None,
                dense_rank=1,
                keyword_rank=None,
            )
        ],
        took_ms=4.2,
    ),
    ServiceStatus(
        service_id="a", name="A", type="asr", languages=["en"], subtype=None, version="1",
        installed_versions=["1"], state=ServiceState.READY, port=1, pid=2,
    ),
]  # fmt: skip
"""Realistic values (non-ASCII text, aliases, nested lists) beside the generated samples."""


@pytest.mark.parametrize("original", HAND_MADE, ids=lambda m: type(m).__name__)
def test_hand_made_samples_round_trip(original: BaseModel) -> None:
    again = type(original).model_validate_json(original.model_dump_json(by_alias=True))
    assert again == original


def test_diff_uses_the_contract_field_name_from() -> None:
    item = DiffItem.model_validate({"from": "a", "to": "b", "position": 0})
    assert item.model_dump(by_alias=True) == {"from": "a", "to": "b", "position": 0}


# ----- scheduler messages through their discriminated unions


def _members(union: Any) -> set[type[BaseModel]]:
    """The models of an `Annotated[A | B | ..., Field(discriminator=...)]`."""
    return set(typing.get_args(typing.get_args(union)[0]))


FROM_NODE = _members(scheduler_messages.NodeMessage)
FROM_SCHEDULER = _members(scheduler_messages.SchedulerMessage)
MESSAGES = sorted(
    (m for m in MODELS if m.__module__ == scheduler_messages.__name__ and "type" in m.model_fields
     and typing.get_origin(m.model_fields["type"].annotation) is Literal),
    key=_name,
)  # fmt: skip
"""Every model of scheduler_messages tagged by a Literal `type`."""


def test_every_message_is_in_exactly_one_union() -> None:
    assert set(MESSAGES) == FROM_NODE | FROM_SCHEDULER
    assert not FROM_NODE & FROM_SCHEDULER


@pytest.mark.parametrize("model", MESSAGES, ids=_name)
def test_messages_round_trip_through_their_union(model: type[BaseModel]) -> None:
    adapter = (
        scheduler_messages.node_message
        if model in FROM_NODE
        else scheduler_messages.scheduler_message
    )
    for tag in typing.get_args(model.model_fields["type"].annotation):  # each tag it may carry
        message = sample(model).model_copy(update={"type": tag})
        assert adapter.validate_json(message.model_dump_json()) == message
        assert adapter.validate_json(message.model_dump_json(exclude_none=True)) == message
