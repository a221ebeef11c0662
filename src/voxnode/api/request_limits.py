"""A request body larger than `max_request_mb` is refused with 413 (REQUEST_TOO_LARGE) before
it is read into memory: at once by its Content-Length, or as soon as a chunked body passes the
limit. (Audio longer than a service takes is its own 422, AUDIO_TOO_LONG, from the ASR.)"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxnode.api.error_handlers import error_response
from voxnode.contracts.errors import ErrorCategory

CODE = "REQUEST_TOO_LARGE"


class RequestSizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        too_large = started = False

        async def counted() -> Message:
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # the app sees the client leave; it answers 413
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                return  # the app's answer to a body it never got whole: replaced below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except ClientDisconnect:
            if not too_large:
                raise
        if too_large and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mb = self.max_bytes / 1024**2
        response = error_response(
            413, CODE, ErrorCategory.BAD_INPUT,
            f"the request body is larger than {limit_mb:g} MiB (max_request_mb)",
        )  # fmt: skip
        await response(scope, receive, send)
