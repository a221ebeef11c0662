"""Every error leaves the API in the one JSON shape of contract 2."""

from __future__ import annotations

import logging

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
)

log = logging.getLogger(__name__)


def error_response(status: int, code: str, category: ErrorCategory, message: str) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, category=category, message=message))
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


async def _voxnode_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VoxnodeError)
    return error_response(exc.status, exc.code, exc.category, exc.message)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'] if p != 'body')}: {err['msg']}"
        for err in exc.errors()
    )
    return error_response(422, "INVALID_REQUEST", BadInputError.category, problems)


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
