"""One way to reach NATS: a connection that reconnects forever, the errors that mean "the
server is away for now", and a retry for calls that must go through an outage."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client

from voxnode.contracts.errors import ErrorCategory, VoxnodeError

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT_NATS_ERRORS: tuple[type[Exception], ...] = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
    asyncio.TimeoutError,
    OSError,
)
"""The nats-server is restarting or unreachable: try again later, nothing is wrong."""


UNREACHABLE: tuple[type[Exception], ...] = (*TRANSIENT_NATS_ERRORS, nats.errors.NoServersError)


class ClusterUnavailableError(VoxnodeError):
    code = "NATS_UNAVAILABLE"
    category = ErrorCategory.TRANSIENT
    status = 503


OnReconnect = Callable[[], Awaitable[None]]


async def connect(
    url: str, *, name: str, reconnect_wait_s: float, on_reconnect: OnReconnect | None = None
) -> Client:
    """Connected, or ClusterUnavailableError; once connected it reconnects forever and calls
    `on_reconnect` after each reconnection (watchers resume there)."""

    async def disconnected() -> None:  # also called by close()
        log.info("nats: disconnected from %s", url)

    async def reconnected() -> None:
        log.info("nats: reconnected to %s", url)
        if on_reconnect is not None:
            await on_reconnect()

    async def error(exc: Exception) -> None:
        if isinstance(exc, TRANSIENT_NATS_ERRORS):
            log.debug("nats: %s: %s", type(exc).__name__, exc)
        else:
            log.warning("nats: %s: %s", type(exc).__name__, exc)

    try:
        return await nats.connect(
            url,
            name=name,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=reconnect_wait_s,
            connect_timeout=5,
            ping_interval=5,
            max_outstanding_pings=2,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
            error_cb=error,
        )
    except UNREACHABLE as exc:
        raise ClusterUnavailableError(f"cannot reach the nats-server at {url}: {exc}") from exc


async def retrying(call: Callable[[], Awaitable[T]], *, timeout_s: float | None, what: str) -> T:
    """`call()` until it gets through a transient outage; ClusterUnavailableError after
    timeout_s (None: until cancelled)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    wait = 0.1
    while True:
        try:
            return await call()
        except TRANSIENT_NATS_ERRORS as exc:
            if deadline is not None and time.monotonic() + wait > deadline:
                raise ClusterUnavailableError(f"{what}: the nats-server did not answer") from exc
            log.debug("nats: %s: %s, again in %.1f s", what, type(exc).__name__, wait)
        await asyncio.sleep(wait)
        wait = min(wait * 2, 2.0)
