"""Shared error categories: code below the HTTP edge raises these, one handler renders them."""

from __future__ import annotations

from typing import Any, ClassVar


class QmError(Exception):
    """Base of every domain error; carries a stable machine code and an HTTP status."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class BadRequest(QmError):
    """The request is malformed in a way that is not a validation of its body (e.g. headers)."""

    code = "bad_request"
    status = 400


class Unauthorized(QmError):
    """No valid identity."""

    code = "unauthorized"
    status = 401


class Forbidden(QmError):
    """The caller is known but its role does not allow the action."""

    code = "forbidden"
    status = 403


class NotFound(QmError):
    """The resource does not exist, or exists in another workspace (never leak which)."""

    code = "not_found"
    status = 404


class Conflict(QmError):
    """The request clashes with the current state (duplicate, wrong state transition)."""

    code = "conflict"
    status = 409


class Invalid(QmError):
    """The input is well-formed but violates a rule."""

    code = "invalid"
    status = 422


class QuotaExceeded(QmError):
    """A workspace quota would be exceeded."""

    code = "quota_exceeded"
    status = 429


class Unavailable(QmError):
    """A dependency (database, Redis, another service) cannot serve the request now."""

    code = "unavailable"
    status = 503
