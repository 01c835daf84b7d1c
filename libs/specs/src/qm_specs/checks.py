"""Per-kind checks run after a file parses: references, cross-spec rules, resolution."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from qm_specs.base import Problem, StrictModel
from qm_specs.engine_params import EngineParams
from qm_specs.experiment import ExperimentSpec
from qm_specs.instrument import InstrumentSpec
from qm_specs.loader import Document
from qm_specs.pipeline import PipelineSpec
from qm_specs.placeholders import SearchTemplate
from qm_specs.preflight import snapshot_issues
from qm_specs.resolve import DanglingReference, SpecRegistry, engine_layers, resolved_config
from qm_specs.rules import (
    Issue,
    check_experiment,
    check_projection,
    check_stream_schema,
    check_tick_size,
    check_visualization,
)
from qm_specs.serving import ServingSpec
from qm_specs.snapshot import PublishedServingSpec


def _engine_issues(
    path: str, instrument: InstrumentSpec, *layers: StrictModel | dict[str, object]
) -> tuple[list[Issue], int | None]:
    """Problems of the combined engine layers, and the effective cell width if they combine."""
    try:
        engine = EngineParams.model_validate(engine_layers(instrument, *layers)).model_dump()
    except ValidationError as exc:
        reasons = sorted({e["msg"].removeprefix("Value error, ") for e in exc.errors()})
        return [(path, f"effective engine parameters are invalid: {r}") for r in reasons], None
    return check_tick_size(engine["tick_size"], instrument.tick_size, path), engine["cell_width_ms"]


def _pipeline(spec: PipelineSpec, reg: SpecRegistry) -> list[Issue]:
    try:
        instrument = reg.get("instrument", spec.instrument, InstrumentSpec, "instrument")
    except DanglingReference as exc:
        return [(exc.path, str(exc))]
    return _engine_issues("engine", instrument, spec.engine)[0]


def _serving(spec: ServingSpec, reg: SpecRegistry) -> list[Issue]:
    out = check_stream_schema(spec.stream_schema, spec.model_id)
    out += check_visualization(spec.visualization, spec.stream_schema)
    if spec.gold_dsl is not None:
        out += _reference(reg, "gold_dsl", spec.gold_dsl)
    try:
        pipeline = reg.get("pipeline", spec.pipeline, PipelineSpec, "pipeline")
        instrument = reg.get("instrument", pipeline.instrument, InstrumentSpec, "pipeline")
    except DanglingReference as exc:
        return [*out, (exc.path, str(exc))]
    overrides = spec.scoring.engine_overrides()
    engine_out, cell = _engine_issues("scoring", instrument, pipeline.engine, overrides)
    out += engine_out
    if cell is not None:
        out += check_projection(spec.projection.horizons_ms, cell, "projection")
    return out


def _reference(reg: SpecRegistry, kind: str, name: str) -> list[Issue]:
    if name in reg.names(kind):
        return []
    known = ", ".join(sorted(reg.names(kind))) or "none"
    return [(kind, f"no {kind} spec named '{name}' (known: {known})")]


def _experiment(spec: ExperimentSpec, reg: SpecRegistry) -> list[Issue]:
    try:
        serving = reg.get("serving", spec.serving, ServingSpec, "serving")
    except DanglingReference as exc:
        return [(exc.path, str(exc))]
    out = check_experiment(spec, serving.signal)
    if _serving(serving, reg):
        out.append(("serving", f"serving spec '{spec.serving}' has problems of its own"))
    return out


def _issues(spec: StrictModel, reg: SpecRegistry) -> list[Issue]:
    if isinstance(spec, PipelineSpec):
        return _pipeline(spec, reg)
    if isinstance(spec, ServingSpec):
        return _serving(spec, reg)
    if isinstance(spec, ExperimentSpec):
        return _experiment(spec, reg)
    if isinstance(spec, SearchTemplate):
        return _reference(reg, "experiment", spec.experiment)
    if isinstance(spec, PublishedServingSpec):
        return snapshot_issues(spec)
    return []


def check_document(doc: Document, reg: SpecRegistry) -> list[Problem]:
    """Reference and cross-spec problems of one parsed document."""
    if doc.spec is None:
        return []
    issues = _issues(doc.spec, reg)
    if not issues:
        # the rules above should make resolution succeed; if not, report it instead of crashing
        try:
            resolved_config(doc.spec, reg)
        except (ValueError, LookupError) as exc:
            issues = [("", f"does not resolve: {exc}")]
    return [Problem(doc.file, path, reason) for path, reason in issues]


def duplicate_problems(docs: Iterable[Document]) -> list[Problem]:
    """A second spec with the same kind and name as an earlier one is a problem."""
    seen: dict[tuple[str, str], str] = {}
    out = []
    for doc in docs:
        if doc.spec is None or doc.kind is None or doc.name is None:
            continue
        first = seen.setdefault((doc.kind, doc.name), doc.file)
        if first != doc.file:
            reason = f"{doc.kind} '{doc.name}' is also defined in {first}"
            out.append(Problem(doc.file, "name", reason))
    return out
