"""Property: `service.json` text of any shape parses to a ServiceManifest or raises
ManifestError (a 400 naming the file), never another exception."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from voxnode.contracts.service_manifest import ManifestError, ServiceManifest, parse_manifest

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip
FIELDS = ["service_id", "name", "version", "type", "lang", "subtype", "model", "resources",
          "health", "python", "platforms", "autostart", "description"]  # fmt: skip
PLATFORM_FIELDS = ["command", "args", "env", "default_port", "cwd"]


@st.composite
def manifest_like(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly the right keys with values of any type: the validators run deep."""
    raw: dict[str, Any] = {
        "service_id": draw(st.sampled_from(["svc", "Bad Id", "", "a" * 70]) | st.text(max_size=8)),
        "name": "n", "version": draw(st.sampled_from(["1.0", "", "x/y"]) | JSON),
        "type": draw(st.sampled_from(["asr", "semantic", "nmt", "nope"]) | JSON),
    }  # fmt: skip
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=6)):
        raw[key] = draw(JSON)
    if draw(st.booleans()):
        block = {key: draw(JSON) for key in draw(st.lists(st.sampled_from(PLATFORM_FIELDS)))}
        raw["platforms"] = {draw(st.sampled_from(["linux", "windows", "plan9"])): block}
    return raw


def check(text: str) -> None:
    try:
        manifest = parse_manifest(text, source="/pkg/service.json")
    except ManifestError as error:
        assert error.message.startswith("/pkg/service.json:"), error.message
        assert error.status == 400
        return
    assert isinstance(manifest, ServiceManifest)
    try:  # what the installer asks next: the block of this platform
        manifest.platform()
    except ManifestError as error:
        assert error.code == "UNSUPPORTED_PLATFORM", error.message


@settings(max_examples=300, deadline=None)
@given(value=JSON)
def test_any_json_value(value: object) -> None:
    check(json.dumps(value))


@settings(max_examples=400, deadline=None)
@given(raw=manifest_like())
def test_manifest_shaped_json(raw: dict[str, Any]) -> None:
    check(json.dumps(raw))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text(text: str) -> None:
    check(text)
