"""The one error shape of every VoxNode HTTP face, and the exception that carries it.

`{"error": {"code": "...", "category": "transient|permanent|bad_input", "message": "...",
"type": "..."}}`: `type` is OpenAI's, so the OpenAI face needs no second shape.
Retry and failover look at `category`, never at message text; the HTTP status comes from
the exception's `status`, never from matching its message.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class ErrorCategory(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    BAD_INPUT = "bad_input"


class ErrorDetail(BaseModel):
    code: str
    category: ErrorCategory
    message: str
    type: str = "server_error"
    """OpenAI's error type, so that OpenAI clients read VoxNode's errors as theirs
    (invalid_request_error, authentication_error, rate_limit_error, server_error, ...)."""


_OPENAI_TYPES = {
    401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    409: "conflict_error", 429: "rate_limit_error",
}  # fmt: skip


def openai_error_type(status: int) -> str:
    if status in _OPENAI_TYPES:
        return _OPENAI_TYPES[status]
    return "server_error" if status >= 500 else "invalid_request_error"


class ErrorBody(BaseModel):
    error: ErrorDetail


class VoxnodeError(Exception):
    """Base of every error a caller may see. Subclasses set code, category and status."""

    code: str = "INTERNAL_ERROR"
    category: ErrorCategory = ErrorCategory.PERMANENT
    status: int = 500
    retry_after_s: float = 0.0
    """When worth retrying (busy, rate limited): after this long; the API sends it as the
    Retry-After header."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def body(self) -> ErrorBody:
        detail = ErrorDetail(
            code=self.code, category=self.category, message=self.message,
            type=openai_error_type(self.status),
        )  # fmt: skip
        return ErrorBody(error=detail)


class BadInputError(VoxnodeError):
    code = "BAD_INPUT"
    category = ErrorCategory.BAD_INPUT
    status = 400


class NotFoundError(VoxnodeError):
    code = "NOT_FOUND"
    category = ErrorCategory.BAD_INPUT
    status = 404


class ConflictError(VoxnodeError):
    code = "CONFLICT"
    category = ErrorCategory.BAD_INPUT
    status = 409


class NotReadyError(VoxnodeError):
    code = "NOT_READY"
    category = ErrorCategory.TRANSIENT
    status = 503


class BusyError(VoxnodeError):
    """A service (or the node) has as many requests as it takes, and as many waiting as it
    queues: try again after `retry_after_s`."""

    code = "SERVICE_BUSY"
    category = ErrorCategory.TRANSIENT
    status = 503

    def __init__(self, message: str, *, retry_after_s: float):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DeadlineError(VoxnodeError):
    code = "DEADLINE_EXCEEDED"
    category = ErrorCategory.TRANSIENT
    status = 504


class StorageFullError(VoxnodeError):
    """The disk (or quota) ran out; the message names the path and what was needed. Worth
    retrying once space is freed."""

    code = "DISK_FULL"
    category = ErrorCategory.TRANSIENT
    status = 507
