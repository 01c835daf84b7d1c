"""Promotion preflight: every check a published serving spec must pass before it is written."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from qm_core.errors import Invalid
from qm_core.hashing import canonical_hash
from qm_specs.base import Problem, join_path
from qm_specs.manifest import MODEL_STAGES
from qm_specs.messages import validation_problems
from qm_specs.rules import (
    Issue,
    check_projection,
    check_stream_schema,
    check_tick_size,
    check_visualization,
)
from qm_specs.snapshot import PublishedServingSpec, snapshot_json

_SNAPSHOT = "runtime_snapshot"


class PreflightFailed(Invalid):
    """A published serving spec failed preflight; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        detail = f"{len(problems)} problem(s): " + "; ".join(p.render() for p in problems[:5])
        super().__init__(detail, extra={"problems": [p.as_dict() for p in problems]})
        self.problems = problems


def _lineage_issues(spec: PublishedServingSpec) -> list[Issue]:
    serving = spec.runtime_snapshot.serving
    out: list[Issue] = []
    if spec.lineage.serving_spec_name != serving.name:
        reason = (
            f"names '{spec.lineage.serving_spec_name}' but the snapshot serves '{serving.name}'"
        )
        out.append(("lineage.serving_spec_name", reason))
    signal = serving.signal.name if serving.signal else None
    if spec.lineage.signal_name is not None and spec.lineage.signal_name != signal:
        reason = f"names '{spec.lineage.signal_name}' but the snapshot's signal is '{signal}'"
        out.append(("lineage.signal_name", reason))
    return out


def snapshot_issues(spec: PublishedServingSpec) -> list[Issue]:
    """Cross-rule and integrity issues of a parsed published spec's runtime snapshot."""
    snap = spec.runtime_snapshot
    serving = snap.serving
    base = join_path(_SNAPSHOT, "serving")
    issues = [
        (join_path(base, p), r)
        for p, r in check_stream_schema(serving.stream_schema, serving.model_id)
    ]
    issues += [
        (join_path(base, p), r)
        for p, r in check_visualization(serving.visualization, serving.stream_schema)
    ]
    engine = snap.engine.model_dump()
    issues += check_tick_size(
        engine["tick_size"], snap.instrument.tick_size, "runtime_snapshot.engine"
    )
    stages = list(MODEL_STAGES[serving.model_id])
    if serving.stages != stages:
        reason = f"model '{serving.model_id}' streams {stages}, not {serving.stages}"
        issues.append((join_path(base, "stages"), reason))
    cell = int(engine["cell_width_ms"])
    issues += check_projection(serving.projection.horizons_ms, cell, join_path(base, "projection"))
    expected_bins = [h // cell for h in serving.projection.horizons_ms]
    if serving.projection.horizons_bins != expected_bins:
        path = join_path(base, "projection", "horizons_bins")
        issues.append((path, f"must be {expected_bins} (horizons_ms / cell width {cell} ms)"))
    issues += _lineage_issues(spec)
    if canonical_hash(snapshot_json(snap)) != spec.snapshot_hash:
        issues.append(("snapshot_hash", "does not match the canonical hash of runtime_snapshot"))
    return issues


def preflight(
    published_spec: PublishedServingSpec | dict[str, Any], file: str = "<published>"
) -> list[Problem]:
    """Every problem of a published serving spec (empty list: safe to write and to stream).

    Accepts the model or its JSON form; a dict is parsed strictly first, so a snapshot missing its
    instrument, source, session window or stream schema is reported by path.
    """
    if isinstance(published_spec, PublishedServingSpec):
        spec = published_spec
    else:
        try:
            spec = PublishedServingSpec.model_validate(published_spec)
        except ValidationError as exc:
            return validation_problems(file, "published_serving", published_spec, exc)
    return [Problem(file, p, r) for p, r in snapshot_issues(spec)]


def require_preflight(
    published_spec: PublishedServingSpec | dict[str, Any],
) -> PublishedServingSpec:
    """The parsed spec if preflight passes, else PreflightFailed (an Invalid, HTTP 422)."""
    problems = preflight(published_spec)
    if problems:
        raise PreflightFailed(problems)
    if isinstance(published_spec, PublishedServingSpec):
        return published_spec
    return PublishedServingSpec.model_validate(published_spec)
