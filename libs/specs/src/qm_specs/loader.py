"""Reads spec YAML files: kind from the `kind:` field, shim for spec_version 1, strict parse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from qm_specs.base import CURRENT_SPEC_VERSION, Problem, StrictModel
from qm_specs.experiment import ExperimentSpec
from qm_specs.instrument import InstrumentSpec
from qm_specs.legacy import LEGACY_SPEC_VERSION, upgrade_legacy
from qm_specs.messages import validation_problems
from qm_specs.pipeline import PipelineSpec
from qm_specs.placeholders import GoldDslSpec, RollPolicySpec, SearchTemplate
from qm_specs.serving import ServingSpec
from qm_specs.snapshot import PublishedServingSpec

SPEC_KINDS: Mapping[str, type[StrictModel]] = MappingProxyType(
    {
        "instrument": InstrumentSpec,
        "pipeline": PipelineSpec,
        "serving": ServingSpec,
        "experiment": ExperimentSpec,
        "published_serving": PublishedServingSpec,
        "gold_dsl": GoldDslSpec,
        "search_template": SearchTemplate,
        "roll_policy": RollPolicySpec,
    }
)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass
class Document:
    """One spec file after loading: its parsed model (if valid), problems and legacy warnings."""

    file: str
    kind: str | None
    raw: Any
    spec: StrictModel | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str | None:
        """The name other specs reference this one by (instruments go by `symbol`)."""
        if not isinstance(self.raw, dict):
            return None
        value = self.raw.get("symbol" if self.kind == "instrument" else "name")
        return value if isinstance(value, str) else None


def _kind_problem(file: str, raw: Any) -> Problem | None:
    if not isinstance(raw, dict):
        return Problem(file, "", "a spec file must be a YAML mapping")
    kind = raw.get("kind")
    if kind is None:
        return Problem(file, "kind", f"required key is missing; one of {', '.join(SPEC_KINDS)}")
    if not isinstance(kind, str) or kind not in SPEC_KINDS:
        return Problem(file, "kind", f"unknown kind {kind!r}; one of {', '.join(SPEC_KINDS)}")
    return None


def parse_document(file: str, raw: Any) -> Document:
    """Parse an already-read YAML/JSON value into a Document (no reference checks)."""
    bad = _kind_problem(file, raw)
    if bad is not None:
        return Document(file, None, raw, problems=[bad])
    kind = str(raw["kind"])
    doc = Document(file, kind, raw)
    version = raw.get("spec_version", CURRENT_SPEC_VERSION)
    if type(version) is int and version == LEGACY_SPEC_VERSION:
        doc.raw, doc.warnings, doc.problems = upgrade_legacy(file, kind, raw)
    try:
        doc.spec = SPEC_KINDS[kind].model_validate(doc.raw)
    except ValidationError as exc:
        shimmed = {p.path for p in doc.problems}
        errors = validation_problems(file, kind, doc.raw, exc)
        doc.problems += [p for p in errors if p.path not in shimmed]
    if doc.problems:
        doc.spec = None
    return doc


def _read_error(exc: Exception) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        return f"invalid YAML: {exc.problem} ({where})"
    return f"cannot read: {exc}".replace("\n", " ")


def load_file(path: Path, display: str | None = None) -> Document:
    """Read and parse one YAML spec file; `display` is the name used in problems."""
    file = display or str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return Document(file, None, None, problems=[Problem(file, "", _read_error(exc))])
    return parse_document(file, raw)


def spec_files(paths: list[Path]) -> list[Path]:
    """Every .yaml/.yml file under the given files and folders, sorted, without duplicates."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
            )
        else:
            found.add(path)
    return sorted(found)
