"""The API token: who may call the node.

Rules (decided by the pure functions below, enforced by `AccessGate`):
- A node listening on anything but loopback refuses to start without `auth_token`.
- With a token configured, on any address, every route but `/health` needs it: HTTP and
  WebSocket alike, the dashboard and `/docs` included.
- It is presented as `Authorization: Bearer <token>` (what OpenAI clients send as their
  api_key), or, for a browser, once as `?token=<token>` on any URL: the answer then sets
  the `voxnode_session` cookie (HttpOnly, SameSite=Strict), so that the dashboard's own
  requests and its WebSocket carry it. The cookie holds a value derived from the token
  (HMAC), never the token itself.
- Tokens are compared in constant time (hmac.compare_digest over their SHA-256).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxnode.api.error_handlers import error_response
from voxnode.contracts.errors import ErrorCategory, VoxnodeError

OPEN_PATHS = frozenset({"/health"})
"""Answer without a token: liveness probes and the CLI's "is a node running here?"."""
QUERY_PARAMETER = "token"
SESSION_COOKIE = "voxnode_session"
_LOOPBACK_NAMES = frozenset({"localhost"})


class TokenRequiredError(VoxnodeError):
    """The node would listen off loopback with no token: anyone could install code."""

    code = "AUTH_TOKEN_REQUIRED"
    category = ErrorCategory.PERMANENT
    status = 400


class Verdict(StrEnum):
    OPEN = "open"
    """The path needs no token."""
    ALLOWED = "allowed"
    DENIED = "denied"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost; "0.0.0.0", "::" and other names are not."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen_policy(host: str, token: str | None) -> None:
    """Refuse to serve off loopback without a token."""
    if not token and not is_loopback(host):
        raise TokenRequiredError(
            f"the node would listen on {host}, which is not loopback, without an API token: "
            "set auth_token in config.toml or VOXNODE_AUTH_TOKEN (clients send it as "
            "'Authorization: Bearer <token>'), or listen on 127.0.0.1"
        )


def token_matches(given: str | None, accepted: Iterable[str]) -> bool:
    """Constant time per candidate: SHA-256 first, so that lengths do not show either."""
    if not given:
        return False
    digest = hashlib.sha256(given.encode()).digest()
    found = False
    for token in accepted:
        found |= hmac.compare_digest(digest, hashlib.sha256(token.encode()).digest())
    return found


def session_value(token: str) -> str:
    """What the cookie holds for `token`: useless anywhere but on this node's API."""
    return hmac.new(token.encode(), b"voxnode-dashboard-session", hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Presented:
    """What a request carries, from each place a token may be."""

    bearer: str | None = None
    query: str | None = None
    cookie: str | None = None


def verdict(path: str, presented: Presented, accepted: Sequence[str]) -> Verdict:
    if path in OPEN_PATHS:
        return Verdict.OPEN
    if token_matches(presented.bearer, accepted) or token_matches(presented.query, accepted):
        return Verdict.ALLOWED
    sessions = [session_value(token) for token in accepted]
    return Verdict.ALLOWED if token_matches(presented.cookie, sessions) else Verdict.DENIED


def presented_in(headers: Mapping[str, str], query_string: str) -> Presented:
    """`headers` with lower-case names."""
    bearer = None
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        bearer = value.strip()
    query = parse_qs(query_string).get(QUERY_PARAMETER, [None])[0]
    cookie = None
    if "cookie" in headers:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers["cookie"])
        except Exception:  # a malformed Cookie header is no cookie
            jar = SimpleCookie()
        if SESSION_COOKIE in jar:
            cookie = jar[SESSION_COOKIE].value
    return Presented(bearer=bearer, query=query, cookie=cookie)


_LOGIN_PAGE = """<!doctype html><title>VoxNode</title>
<p>This node needs its API token. Open <code>/?token=&lt;your token&gt;</code> once;
the browser then keeps a session cookie for this node.</p>"""


class AccessGate:
    """ASGI middleware: lets a request through only with one of `tokens` (see the module)."""

    def __init__(self, app: ASGIApp, *, tokens: Sequence[str]):
        self._app = app
        self._tokens = tuple(tokens)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        presented = presented_in(headers, scope.get("query_string", b"").decode("latin-1"))
        decision = verdict(scope["path"], presented, self._tokens)
        if decision is Verdict.DENIED:
            await self._deny(scope, receive, send, headers)
            return
        if decision is Verdict.ALLOWED and token_matches(presented.query, self._tokens):
            send = _with_session_cookie(send, session_value(str(presented.query)))
        await self._app(scope, receive, send)

    async def _deny(
        self, scope: Scope, receive: Receive, send: Send, headers: Mapping[str, str]
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "API token required"})
            return
        if scope["path"] == "/" and "text/html" in headers.get("accept", ""):
            page = HTMLResponse(_LOGIN_PAGE, status_code=401)
            await page(scope, receive, send)
            return
        response = error_response(
            401, "AUTH_REQUIRED", ErrorCategory.BAD_INPUT,
            "this node needs its API token: send 'Authorization: Bearer <token>' "
            "(or ?token=<token> once from a browser)",
        )  # fmt: skip
        response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)


def _with_session_cookie(send: Send, value: str) -> Send:
    cookie = f"{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/".encode("latin-1")

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
        await send(message)

    return sending


_QUERY_TOKEN = re.compile(rf"([?&]{QUERY_PARAMETER}=)[^&\s\"]*")


def redact_query_tokens(text: str) -> str:
    return _QUERY_TOKEN.sub(r"\1***", text)


class QueryTokenRedactor(logging.Filter):
    """uvicorn logs each request's path with its query: the `?token=` value becomes ***."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query_tokens(a) if isinstance(a, str) else a for a in record.args
            )
        return True


def redact_uvicorn_logs() -> None:
    """Install the redactor on the loggers uvicorn writes request lines to."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, QueryTokenRedactor) for f in logger.filters):
            logger.addFilter(QueryTokenRedactor())
