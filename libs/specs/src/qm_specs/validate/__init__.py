"""Validation of spec files: parse by kind, resolve references, apply every cross-spec rule."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from qm_specs.base import Problem
from qm_specs.checks import check_document, duplicate_problems
from qm_specs.legacy import LegacySpecWarning
from qm_specs.loader import Document, load_file, spec_files
from qm_specs.resolve import SpecRegistry


@dataclass
class Report:
    """Outcome of validating a set of files."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no file has a problem (warnings do not fail validation)."""
        return not self.problems


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_documents(paths: list[Path]) -> list[Document]:
    """Load every spec file under `paths`; legacy warnings are kept on the documents only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacySpecWarning)
        return [load_file(p, _display(p)) for p in spec_files(paths)]


def validate_documents(docs: list[Document], refs: list[Document] | None = None) -> Report:
    """Check `docs`; specs in `refs` only serve as reference targets (their problems are not
    reported), so one file can be validated against the rest of configs/."""
    context = [d for d in refs or [] if d.file not in {x.file for x in docs}]
    reg = SpecRegistry(d.spec for d in [*docs, *context] if d.spec is not None)
    report = Report(documents=docs)
    for doc in docs:
        report.problems += doc.problems
        report.warnings += doc.warnings
        report.problems += check_document(doc, reg)
    report.problems += duplicate_problems(docs)
    return report


def validate_paths(paths: list[Path], refs: list[Path] | None = None) -> Report:
    """Validate every spec file under `paths`; references resolve within them and `refs`."""
    return validate_documents(load_documents(paths), load_documents(refs) if refs else None)
