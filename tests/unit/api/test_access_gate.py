"""The token rules as pure decisions (api/access_gate.py)."""

from __future__ import annotations

import pytest

from voxnode.api.access_gate import (
    Presented,
    TokenRequiredError,
    Verdict,
    check_listen_policy,
    is_loopback,
    presented_in,
    redact_query_tokens,
    session_value,
    token_matches,
    verdict,
)

TOKEN = "s3cret-token"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("[::1]", True),
        ("localhost", True), ("LOCALHOST", True), ("0.0.0.0", False), ("::", False),
        ("", False), ("192.168.1.5", False), ("my-pc.local", False), ("10.0.0.1", False),
    ],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("host", "token", "refused"),
    [
        ("127.0.0.1", None, False), ("127.0.0.1", TOKEN, False), ("0.0.0.0", None, True),
        ("0.0.0.0", "", True), ("0.0.0.0", TOKEN, False), ("192.168.1.5", None, True),
    ],
)  # fmt: skip
def test_off_loopback_needs_a_token(host: str, token: str | None, refused: bool) -> None:
    if refused:
        with pytest.raises(TokenRequiredError, match="not loopback"):
            check_listen_policy(host, token)
    else:
        check_listen_policy(host, token)


ACCEPTED = [TOKEN, "service-token"]


@pytest.mark.parametrize(
    ("path", "presented", "expected"),
    [
        ("/health", Presented(), Verdict.OPEN),
        ("/health", Presented(bearer="wrong"), Verdict.OPEN),
        ("/v1/services", Presented(), Verdict.DENIED),
        ("/v1/services", Presented(bearer=TOKEN), Verdict.ALLOWED),
        ("/v1/services", Presented(bearer="service-token"), Verdict.ALLOWED),
        ("/v1/services", Presented(bearer=TOKEN + "x"), Verdict.DENIED),
        ("/v1/services", Presented(bearer=TOKEN[:-1]), Verdict.DENIED),
        ("/v1/services", Presented(bearer=""), Verdict.DENIED),
        ("/", Presented(query=TOKEN), Verdict.ALLOWED),
        ("/v1/events", Presented(cookie=session_value(TOKEN)), Verdict.ALLOWED),
        ("/v1/events", Presented(cookie=TOKEN), Verdict.DENIED),  # the cookie is not the token
        ("/v1/events", Presented(cookie=session_value("other")), Verdict.DENIED),
        ("/docs", Presented(), Verdict.DENIED),
        ("/health/", Presented(), Verdict.DENIED),
    ],
)
def test_verdict(path: str, presented: Presented, expected: Verdict) -> None:
    assert verdict(path, presented, ACCEPTED) is expected


def test_no_accepted_token_lets_nothing_through() -> None:
    assert not token_matches(TOKEN, [])
    assert not token_matches(None, [TOKEN])


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"authorization": f"Bearer {TOKEN}"}, "", Presented(bearer=TOKEN)),
        ({"authorization": f"bearer  {TOKEN} "}, "", Presented(bearer=TOKEN)),
        ({"authorization": f"Basic {TOKEN}"}, "", Presented()),
        ({}, f"a=1&token={TOKEN}", Presented(query=TOKEN)),
        ({"cookie": "other=1; voxnode_session=abc"}, "", Presented(cookie="abc")),
        ({"cookie": "\x00broken;;=="}, "", Presented()),
    ],
)
def test_where_a_token_is_found(headers: dict[str, str], query: str, expected: Presented) -> None:
    assert presented_in(headers, query) == expected


def test_query_tokens_are_redacted_from_log_lines() -> None:
    line = f'127.0.0.1:5 - "GET /?token={TOKEN}&x=1 HTTP/1.1" 200'
    assert redact_query_tokens(line) == '127.0.0.1:5 - "GET /?token=***&x=1 HTTP/1.1" 200'
    assert redact_query_tokens(f"/v1/events?a=b&token={TOKEN}") == "/v1/events?a=b&token=***"
