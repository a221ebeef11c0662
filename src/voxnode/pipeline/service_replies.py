"""What the service client gives back: a typed answer (Reply), a stream that has begun
(StreamReply), or ServiceCallError; and how an HTTP answer is read as one of those."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from voxnode.contracts.errors import ErrorCategory, VoxnodeError
from voxnode.routing.route_rules import Route

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_BYTE_TIMEOUT = "FIRST_BYTE_TIMEOUT"
"""A stream that did not start within its bound: the next service is asked."""


class ServiceCallError(VoxnodeError):
    """No service gave an answer; `category` says whether the input was to blame."""

    def __init__(
        self, message: str, *, code: str, category: ErrorCategory, status: int = 503,
        answered: bool = False, retry_after_s: float = 0.0,
    ):  # fmt: skip
        super().__init__(message, code=code, status=status)
        self.category = category
        self.answered = answered
        """The service was up and answered with an error (not worth asking again now)."""
        self.retry_after_s = retry_after_s
        """It asked to be left alone this long (HTTP 429's Retry-After)."""


@dataclass(frozen=True, slots=True)
class Reply(Generic[T]):
    body: T
    service_id: str
    elapsed_ms: float
    route: Route = Route.LOCAL
    """This machine, or a cloud backend (service_id "cloud:<name>")."""


@dataclass(slots=True)
class StreamReply:
    """A streamed answer that has begun: its first bytes came, the rest follow as they come.
    Iterate it once; the service's lease is held until the iteration ends."""

    service_id: str
    first: bytes
    rest: AsyncIterator[bytes]
    resources: contextlib.AsyncExitStack
    deadline: float
    route: Route = Route.LOCAL

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            yield self.first
            rest = self.rest
            while True:
                async with asyncio.timeout(max(self.deadline - time.monotonic(), 0)):
                    chunk = await anext(rest, None)
                if chunk is None:
                    return
                yield chunk
        except (TimeoutError, httpx.HTTPError) as exc:
            log.warning("%s: stream broke off: %s", self.service_id, exc)
            raise ServiceCallError(
                f"{self.service_id} stopped in the middle of its answer ({type(exc).__name__})",
                code="STREAM_BROKEN", category=ErrorCategory.TRANSIENT,
            ) from exc  # fmt: skip
        finally:
            await self.resources.aclose()


def decode(answer: type[T], response: httpx.Response) -> T:
    """The answer as `answer`; one outside the contract is the service's failure."""
    try:
        from_http = getattr(answer, "from_http", None)
        if from_http is not None:
            decoded: T = from_http(response.content, response.headers)
            return decoded
        assert issubclass(answer, BaseModel)
        return answer.model_validate_json(response.content)
    except (ValidationError, ValueError) as exc:
        raise ServiceCallError(
            f"answer outside the contract: {exc}", code="BAD_ANSWER",
            category=ErrorCategory.TRANSIENT, answered=True,
        ) from exc  # fmt: skip


def error_of(response: httpx.Response) -> ServiceCallError:
    """The service's ErrorBody when it sent one; otherwise the HTTP status gives the
    category (a 4xx other than 404 and 429 blames the input)."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        category = ErrorCategory(error["category"])
    except (ValueError, KeyError, TypeError):
        code, message = f"HTTP_{response.status_code}", response.text[:300]
        client_fault = 400 <= response.status_code < 500 and response.status_code not in (404, 429)
        category = ErrorCategory.BAD_INPUT if client_fault else ErrorCategory.TRANSIENT
    status = response.status_code if category is ErrorCategory.BAD_INPUT else 503
    return ServiceCallError(message, code=code, category=category, status=status, answered=True)


async def open_stream(
    http: httpx.AsyncClient, url: str, body: dict[str, object], *, service_id: str,
    headers: dict[str, str], deadline: float, first_byte_s: float | None,
    resources: contextlib.AsyncExitStack, route: Route,
    check: Callable[[httpx.Response], ServiceCallError | None],
) -> StreamReply:  # fmt: skip
    """POST `body` to `url` for a streamed answer and wait for its first bytes (within
    `first_byte_s` when given): a stream that has begun, or ServiceCallError. `check` turns
    an error status into the error; `resources` (a lease) are released on failure, or when
    the stream ends."""
    started = time.monotonic()
    limit = min(deadline, started + first_byte_s) if first_byte_s else deadline
    try:
        async with asyncio.timeout(limit - started):
            sent = http.build_request("POST", url, json=body, headers=headers)
            response = await http.send(sent, stream=True)
            resources.push_async_callback(response.aclose)
            if response.status_code >= 400:
                await response.aread()
                error = check(response)
                if error is not None:
                    raise error
            rest = response.aiter_raw()
            first = await anext(rest, b"")
    except ServiceCallError:
        await resources.aclose()
        raise
    except (TimeoutError, httpx.TimeoutException) as exc:
        await resources.aclose()
        stalled = limit < deadline  # its own first-byte bound, not the call's deadline
        raise ServiceCallError(
            f"no first byte within {limit - started:.1f} s",
            code=FIRST_BYTE_TIMEOUT if stalled else "TIMEOUT", category=ErrorCategory.TRANSIENT,
        ) from exc  # fmt: skip
    except (httpx.HTTPError, VoxnodeError) as exc:
        await resources.aclose()
        raise ServiceCallError(
            f"{type(exc).__name__}: {exc}", code="SERVICE_ERROR",
            category=ErrorCategory.TRANSIENT,
        ) from exc  # fmt: skip
    return StreamReply(service_id, first, rest, resources, deadline, route)
