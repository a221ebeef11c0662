from __future__ import annotations

from pathlib import Path

import pytest

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
