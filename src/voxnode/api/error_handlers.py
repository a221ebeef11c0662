"""Every error leaves the API in the one JSON shape of contract 2."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from voxnode.contracts.errors import (
    BadInputError,
    ErrorBody,
    ErrorCategory,
    ErrorDetail,
    VoxnodeError,
    openai_error_type,
)

log = logging.getLogger(__name__)


def error_response(status: int, code: str, category: ErrorCategory, message: str) -> JSONResponse:
    detail = ErrorDetail(
        code=code, category=category, message=message, type=openai_error_type(status)
    )
    body = ErrorBody(error=detail)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


async def _voxnode_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VoxnodeError)
    response = error_response(exc.status, exc.code, exc.category, exc.message)
    if exc.retry_after_s > 0:
        response.headers["Retry-After"] = str(math.ceil(exc.retry_after_s))
    return response


OPENAI_PATHS = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings")
"""OpenAI answers an invalid request with 400, which its clients raise as BadRequestError;
the node's own routes answer 422."""


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'] if p != 'body')}: {err['msg']}"
        for err in exc.errors()
    )
    status = 400 if request.url.path in OPENAI_PATHS else 422
    return error_response(status, "INVALID_REQUEST", BadInputError.category, problems)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    category = ErrorCategory.BAD_INPUT if exc.status_code < 500 else ErrorCategory.TRANSIENT
    return error_response(exc.status_code, f"HTTP_{exc.status_code}", category, str(exc.detail))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(
        500, "INTERNAL_ERROR", ErrorCategory.PERMANENT, f"{type(exc).__name__}: {exc}"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VoxnodeError, _voxnode_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
