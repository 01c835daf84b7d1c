"""Where a submitted spec comes from: inline or by name, validated with qm_specs first, then
resolved and expanded against the lake so a bad submission is a 422 and nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qm_core.errors import Invalid
from qm_core.hashing import canonical_hash
from qm_research.data import dataset_dir
from qm_research.runner import expand
from qm_specs import (
    Document,
    ExperimentSpec,
    Problem,
    SpecRegistry,
    parse_document,
    resolved_config,
)
from qm_specs.validate import load_documents, validate_documents

INLINE = "<inline>"


@dataclass(frozen=True)
class Submission:
    """A validated experiment: reference, resolved config, its hash, datasets, run count."""

    spec: ExperimentSpec
    ref: str
    resolved: dict[str, Any]
    effective_hash: str
    datasets: list[str]
    total_runs: int


def _rejected(problems: list[Problem]) -> Invalid:
    listed = [p.as_dict() for p in problems]
    detail = "; ".join(p.render() for p in problems[:5])
    return Invalid(f"the experiment spec is invalid: {detail}", extra={"problems": listed})


def _by_name(name: str, refs: list[Document]) -> Document:
    for doc in refs:
        if doc.kind == "experiment" and doc.name == name:
            return doc
    known = sorted(d.name or "?" for d in refs if d.kind == "experiment")
    reason = f"no experiment spec named {name!r} (known: {', '.join(known) or 'none'})"
    raise _rejected([Problem("spec_ref", "", reason)])


def load_spec(
    *, inline: dict[str, Any] | None, spec_ref: str | None, configs_dir: Path
) -> tuple[ExperimentSpec, str, SpecRegistry]:
    """The validated spec, its reference (`inline:<name>` or the config name), the registry.

    Invalid (HTTP 422) lists every problem: parse errors, dangling references, cross-spec rules.
    """
    refs = load_documents([configs_dir]) if configs_dir.is_dir() else []
    doc = parse_document(INLINE, inline) if inline is not None else _by_name(str(spec_ref), refs)
    if doc.kind not in (None, "experiment"):
        raise _rejected([Problem(doc.file, "kind", f"expected an experiment, got {doc.kind!r}")])
    report = validate_documents([doc], refs=refs)
    if not report.ok or not isinstance(doc.spec, ExperimentSpec):
        raise _rejected(report.problems or [Problem(doc.file, "", "not an experiment spec")])
    ref = f"inline:{doc.spec.name}" if inline is not None else str(spec_ref)
    context = [d.spec for d in refs if d.spec is not None and d.file != doc.file]
    return doc.spec, ref, SpecRegistry([doc.spec, *context])


def prepare(
    *,
    inline: dict[str, Any] | None,
    spec_ref: str | None,
    datasets: list[str],
    configs: Path,
    lake: Path,
) -> Submission:
    """Validate, resolve and expand a submission (blocking: call it in a thread)."""
    spec, ref, registry = load_spec(inline=inline, spec_ref=spec_ref, configs_dir=configs)
    resolved = resolved_config(spec, registry)
    missing = [d for d in datasets if not dataset_dir(lake, d).is_dir()]
    if missing:
        reason = f"not in the lake: {', '.join(missing)}"
        raise _rejected([Problem("datasets", "", reason)])
    try:
        runs = expand(resolved, lake=lake, datasets=datasets)
    except (ValueError, LookupError) as exc:
        raise _rejected([Problem(ref, "", str(exc))]) from exc
    return Submission(spec, ref, resolved, canonical_hash(resolved), list(datasets), len(runs))
