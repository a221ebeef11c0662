"""NodeSettings: where its values come from, and that each of them is read."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

import voxnode
from voxnode.contracts.node_settings import NodeSettings


def test_config_toml_in_the_home_then_env_then_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text(
        "port = 9000\n[supervisor]\nstop_grace_s = 2.5\nidle_stop_s = 600\n"
        "[repair]\ntimeout_ms = 1500\n"
    )
    settings = NodeSettings(home=tmp_path)
    assert (settings.port, settings.supervisor.stop_grace_s, settings.supervisor.idle_stop_s) == (
        9000,
        2.5,
        600,
    )
    assert settings.repair.timeout_ms == 1500
    monkeypatch.setenv("VOXNODE_SUPERVISOR__STOP_GRACE_S", "1")
    monkeypatch.setenv("VOXNODE_PORT", "9100")
    settings = NodeSettings(home=tmp_path)
    assert (settings.port, settings.supervisor.stop_grace_s) == (9100, 1.0)
    assert NodeSettings(home=tmp_path, port=9200).port == 9200


def test_home_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXNODE_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text("port = 9300\n")
    settings = NodeSettings()
    assert (settings.home, settings.port) == (tmp_path, 9300)


SOURCE = Path(voxnode.__file__).parent
NOT_READERS = {"contracts/node_settings.py"}
"""Where the settings are declared (their defaults and docstrings name them)."""
NOT_READERS_UNDER = ("testing/",)
"""The shipped test kit: a test helper that reads a setting keeps no promise of the node's."""


def setting_fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, field name) of every field, nested settings models included."""
    for name, field in model.model_fields.items():
        yield prefix + name, name
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from setting_fields(field.annotation, f"{prefix}{name}.")


def attribute_reads() -> dict[str, set[str]]:
    """Attribute name -> the source files (relative to src/voxnode) that read it."""
    reads: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative in NOT_READERS or relative.startswith(NOT_READERS_UNDER):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                reads.setdefault(node.attr, set()).add(relative)
    return reads


def test_every_setting_is_read() -> None:
    """A documented setting that nothing reads is a promise without code (STYLE.md).

    The rule: every field of NodeSettings, at every depth (the fields of its nested
    settings models too), is read somewhere in src/voxnode: some module other than
    contracts/node_settings.py (the declaration) and voxnode/testing (the test kit) reads
    an attribute of that name, `<anything>.<name>`, found by parsing the modules (ast).
    That is the regex `\\.<name>\\b` made exact: import paths (`voxnode.pipeline.x`),
    comments, docstrings and assignments (`self.port = ...`) do not count.

    A nested model is read by being handed whole to the component it configures
    (`ProcessSupervisor(settings=settings.supervisor)`, `should_repair(..., repair.zh)`):
    its field (`supervisor`, `zh`) counts as read when its own name is accessed, and its
    fields are then checked by their names in turn, wherever that component reads them.

    The check goes by name, not by owner: a name two models share (`pip_timeout_s` of
    packages and models; mode, quality_threshold, ... under repair.zh and repair.en) is
    read when either is, and a generic name (host, port, mode) may be read from another
    object. So it finds settings that no code reads at all; it does not prove that each is
    wired to the right place (the behaviour tests do that).
    """
    reads = attribute_reads()
    unread = [path for path, name in setting_fields(NodeSettings) if name not in reads]
    assert unread == [], f"NodeSettings fields that no code under src/voxnode reads: {unread}"


def test_the_read_check_sees_only_attribute_reads() -> None:
    """The rule's own edges: a name only imported, written or mentioned is not read."""
    reads = attribute_reads()
    assert "supervisor/process_supervisor.py" in reads["stop_grace_s"]
    assert "settings_customise_sources" not in reads  # only declared in node_settings.py
    assert "contracts" not in reads  # in every `from voxnode.contracts...` import, never read


def test_the_session_starts_without_developer_settings(tmp_path: Path) -> None:
    """tests/conftest.py cleared them: the defaults are what the tests see."""
    assert [n for n in os.environ if n.startswith("VOXNODE_")] in ([], ["VOXNODE_TEST_MODELS"])
    assert NodeSettings(home=tmp_path).port == 8700


def test_cluster_section_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXNODE_CLUSTER__NATS_URL", "nats://10.0.0.5:4222")
    monkeypatch.setenv("VOXNODE_CLUSTER__ACK_WAIT_S", "12")
    settings = NodeSettings(home=tmp_path, cluster={"max_jobs": 2})
    assert settings.cluster.nats_url == "nats://10.0.0.5:4222"
    assert (settings.cluster.ack_wait_s, settings.cluster.max_jobs) == (12.0, 2)
    monkeypatch.setenv("VOXNODE_CLUSTER__IN_PROGRESS_S", "12")
    with pytest.raises(ValueError, match="in_progress_s"):
        NodeSettings(home=tmp_path)
