"""Structured deep diff of two JSON documents: added / removed / changed leaves with JSON paths.

Objects recurse by key. Lists of objects that all carry a unique `id` (else `name`) are matched by
that key, so reordering or changing one overlay shows as that overlay's leaves, not the whole list;
other lists are compared by index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_LIST_KEYS = ("id", "name")


@dataclass
class Diff:
    """The changes from `a` to `b` and how many leaves stayed equal."""

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged_count: int = 0

    def summary(self, a: str, b: str, shown: int = 3) -> str:
        """One line: counts plus the first few changed paths."""
        paths = [c["path"] for c in (*self.changed, *self.added, *self.removed)]
        head = ", ".join(paths[:shown]) + (", ..." if len(paths) > shown else "")
        counts = (
            f"{len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.changed)} changed, {self.unchanged_count} unchanged"
        )
        return f"{a} -> {b}: {counts}" + (f" ({head})" if head else "")


def _key_of(items: list[Any]) -> str | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _LIST_KEYS:
        values = [i.get(key) for i in items]
        if all(isinstance(v, str) for v in values) and len(set(values)) == len(values):
            return key
    return None


def _leaves(path: str, value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(path, v) for v in value.values()) or 1
    if isinstance(value, list):
        return sum(_leaves(path, v) for v in value) or 1
    return 1


def _walk_dict(path: str, a: dict[str, Any], b: dict[str, Any], out: Diff) -> None:
    for key in sorted(a.keys() | b.keys()):
        child = f"{path}.{key}"
        if key not in b:
            out.removed.append({"path": child, "before": a[key]})
        elif key not in a:
            out.added.append({"path": child, "after": b[key]})
        else:
            _walk(child, a[key], b[key], out)


def _walk_list(path: str, a: list[Any], b: list[Any], out: Diff) -> None:
    key = _key_of(a) if _key_of(a) == _key_of(b) else None
    if key is None:
        for i in range(max(len(a), len(b))):
            child = f"{path}[{i}]"
            if i >= len(b):
                out.removed.append({"path": child, "before": a[i]})
            elif i >= len(a):
                out.added.append({"path": child, "after": b[i]})
            else:
                _walk(child, a[i], b[i], out)
        return
    by_a, by_b = {i[key]: i for i in a}, {i[key]: i for i in b}
    _walk_dict_keyed(path, key, by_a, by_b, out)
    if [i[key] for i in a if i[key] in by_b] != [i[key] for i in b if i[key] in by_a]:
        out.changed.append(
            {"path": f"{path}#order", "before": [i[key] for i in a], "after": [i[key] for i in b]}
        )


def _walk_dict_keyed(path: str, key: str, a: dict[str, Any], b: dict[str, Any], out: Diff) -> None:
    for name in [*a, *[n for n in b if n not in a]]:
        child = f"{path}[{key}={name}]"
        if name not in b:
            out.removed.append({"path": child, "before": a[name]})
        elif name not in a:
            out.added.append({"path": child, "after": b[name]})
        else:
            _walk(child, a[name], b[name], out)


def _walk(path: str, a: Any, b: Any, out: Diff) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        _walk_dict(path, a, b, out)
    elif isinstance(a, list) and isinstance(b, list):
        _walk_list(path, a, b, out)
    elif _same(a, b):
        out.unchanged_count += _leaves(path, a)
    else:
        out.changed.append({"path": path, "before": a, "after": b})


def _same(a: Any, b: Any) -> bool:
    # bool is an int in Python: True -> 1 must still count as a change
    return type(a) is type(b) and bool(a == b)


def deep_diff(a: Any, b: Any) -> Diff:
    """Every difference between two JSON documents, paths rooted at `$`."""
    out = Diff()
    _walk("$", a, b, out)
    return out
