"""Turns pydantic validation errors into Problems with paths as written in the file."""

from __future__ import annotations

import difflib
import functools
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from qm_specs.base import Problem, StrictModel, join_path
from qm_specs.enums import STREAM_ROLES
from qm_specs.legacy import LEGACY_ROLES, rename_hint


def _file_path(raw: Any, loc: tuple[str | int, ...], missing: bool) -> tuple[str | int, ...]:
    # pydantic puts union tags and model names into loc; keep only steps that exist in the input
    # (and the absent key itself when the error is that a key is missing)
    out: list[str | int] = []
    node = raw
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if (
            isinstance(node, dict)
            and isinstance(part, str)
            and (part in node or (last and missing))
        ):
            out.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
    return tuple(out)


@functools.cache
def _known_keys() -> tuple[str, ...]:
    # every key any spec model accepts: enough to suggest a fix for a typo
    seen: set[str] = set()
    todo: list[type[StrictModel]] = [StrictModel]
    while todo:
        cls = todo.pop()
        seen.update(cls.model_fields)
        todo.extend(cls.__subclasses__())
    return tuple(sorted(seen))


def _reason(kind: str, err: ErrorDetails, path: tuple[str | int, ...]) -> str:
    etype, value = err["type"], err.get("input")
    if etype == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        parents = tuple(p for p in path[:-1] if isinstance(p, str))
        new = rename_hint(kind, parents, key)
        if new:
            return (
                f"unknown key '{key}'; it was renamed to '{new}' (run python -m qm_specs.migrate)"
            )
        close = difflib.get_close_matches(key, _known_keys(), n=1, cutoff=0.8)
        return f"unknown key '{key}'" + (f"; did you mean '{close[0]}'?" if close else "")
    if etype == "missing":
        return "required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    if etype == "literal_error" and path and path[-1] == "role" and value in LEGACY_ROLES:
        roles = ", ".join(STREAM_ROLES)
        return f"'{value}' is a legacy role (spec_version 1 only); use one of {roles}"
    if etype == "literal_error" or etype.endswith(("_type", "_parsing")):
        return f"{msg}, got {_shown(value)}"
    return msg


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"a {type(value).__name__}"
    return f"{type(value).__name__} {value!r}" if not isinstance(value, str) else repr(value)


def validation_problems(
    file: str, kind: str, raw: Any, exc: ValidationError, prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """One Problem per pydantic error, with the path as it appears in the file."""
    by_path: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        path = _file_path(raw, tuple(err["loc"]), err["type"] == "missing")
        reasons = by_path.setdefault(join_path(*prefix, *path), [])
        reason = _reason(kind, err, path)
        if reason not in reasons:
            reasons.append(reason)
    return [Problem(file, path, _merge(reasons)) for path, reasons in sorted(by_path.items())]


_VALID = "Input should be a valid "


def _merge(reasons: list[str]) -> str:
    # one value failing every member of a union: say so once ("a valid number or string, got ...")
    if len(reasons) > 1 and all(r.startswith(_VALID) and ", got " in r for r in reasons):
        kinds = [r.removeprefix(_VALID).split(", got ")[0] for r in reasons]
        got = reasons[0].split(", got ", 1)[1]
        return f"{_VALID}{', '.join(kinds[:-1])} or {kinds[-1]}, got {got}"
    return "; ".join(reasons)
