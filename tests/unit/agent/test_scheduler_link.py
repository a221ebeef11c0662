"""TLS trust and handshake headers of the scheduler link, decided from the settings."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from voxnode.agent.scheduler_link import handshake_headers, tls_context
from voxnode.contracts.errors import VoxnodeError
from voxnode.contracts.node_settings import AgentSettings


def test_plain_ws_has_no_tls() -> None:
    assert tls_context("ws://127.0.0.1:5010/ws/node", AgentSettings()) is None


def test_wss_verifies_by_default() -> None:
    context = tls_context("wss://scheduler.example/ws/node", AgentSettings())
    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def test_verify_tls_false_accepts_anything_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    context = tls_context("wss://s/ws/node", AgentSettings(verify_tls=False))
    assert context is not None and context.verify_mode is ssl.CERT_NONE
    assert "NOT verified" in caplog.text


@pytest.mark.parametrize(
    ("url", "settings", "code"),
    [
        ("http://s/ws/node", AgentSettings(), "BAD_SCHEDULER_URL"),
        ("wss://s/ws/node", AgentSettings(ca_file=Path("/nonexistent/ca.pem")), "BAD_CA_FILE"),
    ],
)
def test_what_is_refused(url: str, settings: AgentSettings, code: str) -> None:
    with pytest.raises(VoxnodeError) as caught:
        tls_context(url, settings)
    assert caught.value.code == code


def test_the_node_token_is_a_bearer_header() -> None:
    assert handshake_headers(AgentSettings()) == {}
    token = AgentSettings(node_token=SecretStr("t0k"))
    assert handshake_headers(token) == {"Authorization": "Bearer t0k"}
    assert "t0k" not in repr(token)
