"""Migration of legacy (spec_version 1) files into the current authoring form."""

from __future__ import annotations

import io
import warnings
from typing import Any

import yaml

from qm_specs.base import Problem
from qm_specs.legacy import LEGACY_SPEC_VERSION, LegacySpecWarning, upgrade_legacy


class MigrationError(ValueError):
    """The file cannot be migrated mechanically; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.render() for p in problems))
        self.problems = problems


def migrate_document(file: str, raw: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The current form of a legacy document and the mappings applied (as warnings)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
        raise MigrationError([Problem(file, "kind", "not a spec file with a kind")])
    version = raw.get("spec_version")
    if type(version) is not int or version != LEGACY_SPEC_VERSION:
        return dict(raw), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacySpecWarning)
        doc, applied, problems = upgrade_legacy(file, raw["kind"], raw)
    if problems:
        raise MigrationError(problems)
    return doc, applied


def _set_styles(node: yaml.Node, in_list: bool = False) -> None:
    # scalar lists and flat mappings inside lists read best on one line: {name: k, dtype: int32}
    if isinstance(node, yaml.MappingNode):
        node.flow_style = in_list and all(isinstance(v, yaml.ScalarNode) for _, v in node.value)
        for _, value in node.value:
            _set_styles(value)
    elif isinstance(node, yaml.SequenceNode):
        node.flow_style = all(isinstance(v, yaml.ScalarNode) for v in node.value)
        for item in node.value:
            _set_styles(item, in_list=True)


def dump_yaml(doc: dict[str, Any]) -> str:
    """YAML text of a document in the repository's layout, keys in their original order."""
    stream = io.StringIO()
    dumper = yaml.SafeDumper(stream, sort_keys=False, allow_unicode=True)
    node = dumper.represent_data(doc)
    _set_styles(node)
    dumper.open()
    dumper.serialize(node)
    dumper.close()
    return stream.getvalue()
