"""Reference resolution: specs name each other; the resolver builds the fully resolved config."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from qm_core.hashing import canonical_hash
from qm_specs.base import StrictModel
from qm_specs.engine_params import EngineParams, resolve_engine_params
from qm_specs.experiment import ExperimentSpec
from qm_specs.instrument import InstrumentSpec
from qm_specs.manifest import MODEL_STAGES
from qm_specs.pipeline import PipelineSpec
from qm_specs.placeholders import GoldDslSpec
from qm_specs.serving import ServingSpec
from qm_specs.snapshot import ResolvedPipeline, ResolvedProjection, ResolvedServing, RuntimeSnapshot

T = TypeVar("T", bound=StrictModel)


class DanglingReference(LookupError):
    """A spec names another spec that does not exist (path is where the name is written)."""

    def __init__(self, path: str, kind: str, name: str, known: Iterable[str]) -> None:
        names = ", ".join(sorted(known)) or "none"
        super().__init__(f"no {kind} spec named '{name}' (known: {names})")
        self.path = path


def spec_name(spec: StrictModel) -> str | None:
    """The name other specs use to reference `spec` (instruments go by symbol)."""
    if isinstance(spec, InstrumentSpec):
        return spec.symbol
    name = getattr(spec, "name", None)
    return name if isinstance(name, str) else None


class SpecRegistry:
    """Valid specs indexed by (kind, name); the first of two same-named specs wins."""

    def __init__(self, specs: Iterable[StrictModel]) -> None:
        self._specs: dict[tuple[str, str], StrictModel] = {}
        for spec in specs:
            kind, name = getattr(spec, "kind", None), spec_name(spec)
            if isinstance(kind, str) and name:
                self._specs.setdefault((kind, name), spec)

    def names(self, kind: str) -> list[str]:
        """Names of every registered spec of `kind`."""
        return [n for k, n in self._specs if k == kind]

    def get(self, kind: str, name: str, model: type[T], path: str) -> T:
        """The spec of `kind` called `name`, or DanglingReference naming `path`."""
        spec = self._specs.get((kind, name))
        if not isinstance(spec, model):
            raise DanglingReference(path, kind, name, self.names(kind))
        return spec


def engine_layers(
    instrument: InstrumentSpec, *layers: StrictModel | dict[str, Any]
) -> dict[str, Any]:
    """Effective engine params: defaults, then each layer (null tick_size: the instrument's)."""
    dumps = [x if isinstance(x, dict) else x.model_dump(exclude_none=True) for x in layers]
    params = resolve_engine_params(*dumps)
    if params.get("tick_size") is None:
        params["tick_size"] = instrument.tick_size
    return params


def resolve_pipeline(
    spec: PipelineSpec, reg: SpecRegistry
) -> tuple[InstrumentSpec, ResolvedPipeline]:
    """The pipeline's instrument and its source/capture part."""
    instrument = reg.get("instrument", spec.instrument, InstrumentSpec, "instrument")
    return instrument, ResolvedPipeline(name=spec.name, source=spec.source, capture=spec.capture)


def resolve_serving(spec: ServingSpec, reg: SpecRegistry) -> RuntimeSnapshot:
    """The runtime snapshot of a serving spec (pydantic/ValueError if the layers do not combine)."""
    pipeline = reg.get("pipeline", spec.pipeline, PipelineSpec, "pipeline")
    if spec.gold_dsl is not None:
        reg.get("gold_dsl", spec.gold_dsl, GoldDslSpec, "gold_dsl")
    instrument, resolved = resolve_pipeline(pipeline, reg)
    engine = EngineParams.model_validate(
        engine_layers(instrument, pipeline.engine, spec.scoring.engine_overrides())
    )
    cell = int(engine.model_dump()["cell_width_ms"])
    if any(h % cell for h in spec.projection.horizons_ms):
        raise ValueError(f"projection horizons are not whole multiples of {cell} ms")
    projection = ResolvedProjection(
        **spec.projection.model_dump(),
        horizons_bins=[h // cell for h in spec.projection.horizons_ms],
    )
    serving = ResolvedServing(
        name=spec.name,
        display_name=spec.display_name or spec.name,
        model_id=spec.model_id,
        stages=list(MODEL_STAGES[spec.model_id]),
        signal=spec.signal,
        projection=projection,
        stream_schema=spec.stream_schema,
        visualization=spec.visualization,
        gold_dsl=spec.gold_dsl,
    )
    return RuntimeSnapshot(instrument=instrument, pipeline=resolved, engine=engine, serving=serving)


def resolved_config(spec: StrictModel, reg: SpecRegistry) -> dict[str, Any]:
    """The fully resolved effective config of any spec, as canonical-JSON-ready data."""
    if isinstance(spec, PipelineSpec):
        instrument, pipeline = resolve_pipeline(spec, reg)
        engine = EngineParams.model_validate(engine_layers(instrument, spec.engine))
        return {
            "instrument": _json(instrument),
            "pipeline": _json(pipeline),
            "engine": _json(engine),
        }
    if isinstance(spec, ServingSpec):
        return _json(resolve_serving(spec, reg))
    if isinstance(spec, ExperimentSpec):
        serving = reg.get("serving", spec.serving, ServingSpec, "serving")
        return {**_json(resolve_serving(serving, reg)), "experiment": _json(spec)}
    return _json(spec)


def effective_hash(spec: StrictModel, reg: SpecRegistry) -> str:
    """SHA-256 of the canonical JSON of the resolved effective config."""
    return canonical_hash(resolved_config(spec, reg))


def _json(model: StrictModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
