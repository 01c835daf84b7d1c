"""Legacy shim: the explicit alias table from the predecessor's spec form (spec_version 1).

Only a file that declares `spec_version: 1` goes through the shim; every mapping it applies is
reported as a LegacySpecWarning naming file, key and replacement. Current files (version 2) get
no shim: a legacy key or value there is an error that names the replacement.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from qm_specs.base import CURRENT_SPEC_VERSION, Problem, join_path
from qm_specs.manifest import PRODUCED_FIELDS

LEGACY_SPEC_VERSION = 1

# role value -> current role; "feature" has no single target and is decided by the field's family
LEGACY_ROLES: Mapping[str, str] = MappingProxyType(
    {"index": "grid_index", "score": "signal", "feature": "<by field family>"}
)
# (stage, family) of the field -> role; silver "flow" is the decayed add/pull/fill mass
FEATURE_ROLE_BY_FAMILY: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("silver", "flow"): "force",
        ("silver", "depth"): "force",
        ("silver", "velocity"): "velocity",
        ("silver", "acceleration"): "acceleration",
        ("silver", "jerk"): "jerk",
        ("gold", "force"): "force",
    }
)
# kind -> path of the mapping that holds the key -> {old key: new key}
RENAMED_KEYS: Mapping[str, Mapping[tuple[str, ...], Mapping[str, str]]] = MappingProxyType(
    {
        "serving": {("scoring",): {"threshold_neutral": "neutral_threshold"}},
        "pipeline": {(): {"pipeline": "engine"}, ("capture",): {"dt": "date"}},
    }
)


class LegacySpecWarning(DeprecationWarning):
    """A legacy key or value was mapped to its current form; run qm_specs.migrate on the file."""


def rename_hint(kind: str, parents: tuple[str, ...], key: str) -> str | None:
    """The current name of a renamed key at `parents` in a spec of `kind`, if it is one."""
    return RENAMED_KEYS.get(kind, {}).get(parents, {}).get(key)


def legacy_role_target(role: str, field_name: str) -> str | None:
    """The current role for a legacy role value on a field, or None if it cannot be mapped."""
    if role != "feature":
        return LEGACY_ROLES.get(role)
    produced = PRODUCED_FIELDS.get(field_name)
    return FEATURE_ROLE_BY_FAMILY.get((produced.stage, produced.family)) if produced else None


class _Upgrade:
    def __init__(self, file: str, kind: str) -> None:
        self.file, self.kind = file, kind
        self.warnings: list[Problem] = []
        self.problems: list[Problem] = []

    def warn(self, path: str, reason: str) -> None:
        self.warnings.append(Problem(self.file, path, reason))

    def rename_keys(self, doc: dict[str, Any]) -> None:
        for parents, renames in RENAMED_KEYS.get(self.kind, {}).items():
            node: Any = doc
            for part in parents:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict):
                self._rename_in(node, parents, renames)

    def _rename_in(self, node: dict[str, Any], parents: tuple[str, ...], renames: Any) -> None:
        for old, new in renames.items():
            if old not in node:
                continue
            path = join_path(*parents, old)
            if new in node:
                self.problems.append(
                    Problem(self.file, path, f"both '{old}' and its replacement '{new}' are set")
                )
                continue
            items = [(new if k == old else k, v) for k, v in node.items()]
            node.clear()
            node.update(items)
            self.warn(path, f"deprecated key '{old}' was renamed to '{new}'")

    def map_roles(self, doc: dict[str, Any]) -> None:
        schema = doc.get("stream_schema")
        if self.kind != "serving" or not isinstance(schema, list):
            return
        for i, field in enumerate(schema):
            if isinstance(field, dict) and field.get("role") in LEGACY_ROLES:
                self._map_role(i, field)

    def _map_role(self, i: int, field: dict[str, Any]) -> None:
        role, name = field["role"], str(field.get("name"))
        path = join_path("stream_schema", i, "role")
        target = legacy_role_target(role, name)
        if target is None:
            reason = f"legacy role '{role}' on field '{name}' has no current equivalent"
            self.problems.append(Problem(self.file, path, reason))
            return
        field["role"] = target
        self.warn(path, f"legacy role '{role}' on field '{name}' is now '{target}'")


def upgrade_legacy(
    file: str, kind: str, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Problem], list[Problem]]:
    """Map a spec_version 1 document to the current form: (document, warnings, problems).

    Each warning is also emitted as a LegacySpecWarning so callers that do not read the list
    still see it.
    """
    up = _Upgrade(file, kind)
    doc = copy.deepcopy(dict(raw))
    doc["spec_version"] = CURRENT_SPEC_VERSION
    up.rename_keys(doc)
    up.map_roles(doc)
    for w in up.warnings:
        warnings.warn(LegacySpecWarning(w.render()), stacklevel=2)
    return doc, up.warnings, up.problems
