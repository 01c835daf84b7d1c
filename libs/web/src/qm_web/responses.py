"""Declared 4xx responses for OpenAPI, all with the shared error body."""

from __future__ import annotations

from typing import Any

_DESCRIPTIONS = {
    400: "bad request (malformed body, missing or invalid X-Workspace-Id)",
    401: "missing or invalid token",
    403: "role too low for this action",
    404: "not found (or in another workspace)",
    409: "conflicts with the current state",
    413: "body too large",
    422: "invalid input",
    429: "quota exceeded",
}


def declared(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the given codes plus the ones every authenticated route has."""
    return {code: {"description": _DESCRIPTIONS[code]} for code in sorted({401, 422, *codes})}
