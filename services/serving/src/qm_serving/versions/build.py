"""Build a published serving spec from request specs: parse, resolve references, add lineage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qm_core.clock import utcnow
from qm_serving.versions.identity import with_identity
from qm_serving.versions.schemas import VersionRegister
from qm_specs import (
    DanglingReference,
    InstrumentSpec,
    Lineage,
    PipelineSpec,
    PreflightFailed,
    Problem,
    PublishedServingSpec,
    ServingSpec,
    SpecRegistry,
    StrictModel,
    effective_hash,
    load_file,
    parse_document,
    publish,
    resolve_serving,
)

_PENDING_ID = "pending"


def _parse(label: str, raw: Any, kind: type[StrictModel], problems: list[Problem]) -> Any:
    doc = parse_document(label, raw)
    if doc.spec is not None and not isinstance(doc.spec, kind):
        problems.append(Problem(label, "kind", f"expected a {kind.__name__}, got {doc.kind!r}"))
        return None
    problems.extend(doc.problems)
    return doc.spec


def _instrument(
    request: VersionRegister, pipeline: PipelineSpec, configs_dir: Path, problems: list[Problem]
) -> InstrumentSpec | None:
    if request.instrument is not None:
        spec: InstrumentSpec | None = _parse(
            "instrument", request.instrument, InstrumentSpec, problems
        )
        return spec
    path = configs_dir / "instruments" / f"{pipeline.instrument}.yaml"
    if not path.is_file():
        problems.append(
            Problem("pipeline", "instrument", f"no instrument spec {pipeline.instrument!r}")
        )
        return None
    doc = load_file(path, display=f"instruments/{path.name}")
    problems.extend(doc.problems)
    return doc.spec if isinstance(doc.spec, InstrumentSpec) else None


def _lineage(request: VersionRegister, serving: ServingSpec, reg: SpecRegistry) -> Lineage:
    return Lineage(
        serving_spec_name=serving.name,
        experiment_name=request.lineage.experiment_name,
        run_id=request.lineage.run_id,
        signal_name=serving.signal.name if serving.signal else None,
        config_hash=effective_hash(serving, reg),
        promoted_at=utcnow(),
    )


def build_published(request: VersionRegister, *, configs_dir: Path) -> PublishedServingSpec:
    """The published spec with its content-derived id; PreflightFailed lists every input problem."""
    problems: list[Problem] = []
    serving = _parse("serving", request.serving, ServingSpec, problems)
    pipeline = _parse("pipeline", request.pipeline, PipelineSpec, problems)
    instrument = None
    if isinstance(pipeline, PipelineSpec):
        instrument = _instrument(request, pipeline, configs_dir, problems)
    if problems or serving is None or pipeline is None or instrument is None:
        raise PreflightFailed(problems or [Problem("request", "", "incomplete specs")])
    reg = SpecRegistry([serving, pipeline, instrument])
    try:
        snapshot = resolve_serving(serving, reg)
        lineage = _lineage(request, serving, reg)
    except DanglingReference as exc:
        raise PreflightFailed([Problem("serving", exc.path, str(exc))]) from exc
    except (ValidationError, ValueError) as exc:
        raise PreflightFailed([Problem("serving", "", f"specs do not combine: {exc}")]) from exc
    draft = publish(_PENDING_ID, snapshot, lineage, request.description)
    return with_identity(draft)
