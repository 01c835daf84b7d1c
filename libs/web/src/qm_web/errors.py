"""One rendering of every error: `{"error": code, "detail": message, "request_id": ...}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qm_core.errors import QmError
from qm_core.logging import request_id_var

log = logging.getLogger("qm.web.errors")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "quota_exceeded",
}


def error_response(status: int, code: str, detail: Any, **extra: Any) -> JSONResponse:
    """The shared error body."""
    body = {"error": code, "detail": detail, "request_id": request_id_var.get(), **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
    if error.get("type") == "extra_forbidden":
        return f"{where}: unknown field"
    return f"{where}: {error.get('msg', 'invalid')}"


async def _qm_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QmError)
    return error_response(exc.status, exc.code, exc.detail, **exc.extra)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "bad_request", "malformed JSON body")
    problems = [_describe(e) for e in errors]
    return error_response(422, "invalid", "; ".join(problems), problems=problems)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, exc.detail)


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception type to the shared body."""
    app.add_exception_handler(QmError, _qm_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
