"""The resolved effective config of a serving spec (RuntimeSnapshot) and PublishedServingSpec."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from qm_core.hashing import canonical_hash
from qm_specs.base import Name, StrictModel
from qm_specs.engine_params import EngineParams
from qm_specs.enums import Stage
from qm_specs.instrument import InstrumentSpec
from qm_specs.pipeline import Capture, Source
from qm_specs.serving import ProjectionConfig, Signal, StreamField
from qm_specs.visualization import VisualizationConfig

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ResolvedPipeline(StrictModel):
    """The pipeline part of a snapshot: where the events come from and which window."""

    name: Name
    source: Source
    capture: Capture


class ResolvedProjection(ProjectionConfig):
    """Projection with the horizons also expressed in bins of the resolved cell width."""

    horizons_bins: list[Annotated[int, Field(ge=1)]]


class ResolvedServing(StrictModel):
    """A serving spec with the stages its model's stream carries made explicit."""

    name: Name
    display_name: str
    model_id: Literal["vacuum_pressure", "silver_grid"]
    stages: list[Stage] = Field(min_length=1)
    signal: Signal | None
    projection: ResolvedProjection
    stream_schema: list[StreamField] = Field(min_length=1)
    visualization: VisualizationConfig
    gold_dsl: Name | None


class RuntimeSnapshot(StrictModel):
    """Everything a stream needs to start: instrument, source, session window, engine, schema.

    `engine` holds every engine parameter after defaults <- pipeline.engine <- serving.scoring.
    """

    instrument: InstrumentSpec
    pipeline: ResolvedPipeline
    engine: EngineParams
    serving: ResolvedServing


class Lineage(StrictModel):
    """Where a serving version came from."""

    serving_spec_name: Name
    experiment_name: Name | None = None
    run_id: str | None = None
    signal_name: str | None = None
    config_hash: Sha256Hex
    promoted_at: Annotated[AwareDatetime, Field(strict=False)]


class PublishedServingSpec(StrictModel):
    """An immutable serving version: the resolved runtime snapshot, its hash and its lineage."""

    kind: Literal["published_serving"] = "published_serving"
    serving_id: Name
    description: str = ""
    runtime_snapshot: RuntimeSnapshot
    snapshot_hash: Sha256Hex
    lineage: Lineage


def snapshot_json(snapshot: RuntimeSnapshot) -> dict[str, Any]:
    """The JSON form of a snapshot, the exact value its hash is computed over."""
    return snapshot.model_dump(mode="json")


def publish(
    serving_id: str, snapshot: RuntimeSnapshot, lineage: Lineage, description: str = ""
) -> PublishedServingSpec:
    """Freeze a resolved snapshot into a published serving spec with its content hash."""
    return PublishedServingSpec(
        serving_id=serving_id,
        description=description,
        runtime_snapshot=snapshot,
        snapshot_hash=canonical_hash(snapshot_json(snapshot)),
        lineage=lineage,
    )
