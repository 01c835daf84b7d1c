"""ServingSpec: model, scoring, signal, projection, stream schema and visualization of a stream."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from qm_specs.base import Name, StrictModel
from qm_specs.common import SpecVersion
from qm_specs.enums import StreamDtype, StreamFieldRole
from qm_specs.visualization import VisualizationConfig

PositiveFloat = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(gt=0)]


# serving scoring key -> engine parameter it overrides (the gold kernel reads the engine's names)
SCORING_TO_ENGINE: Mapping[str, str] = MappingProxyType(
    {
        "flow_windows": "flow_windows",
        "rollup_weights": "flow_rollup_weights",
        "derivative_weights": "flow_derivative_weights",
        "tanh_scale": "flow_tanh_scale",
        "neutral_threshold": "flow_neutral_threshold",
        "zscore_window_bins": "flow_zscore_window_bins",
        "zscore_min_periods": "flow_zscore_min_periods",
    }
)


class ScoringConfig(StrictModel):
    """Gold flow-scoring overrides; an omitted key keeps the pipeline's (or engine's) value."""

    flow_windows: list[PositiveInt] | None = Field(default=None, min_length=1)
    rollup_weights: list[PositiveFloat] | None = Field(default=None, min_length=1)
    derivative_weights: list[PositiveFloat] | None = Field(default=None, min_length=3, max_length=3)
    tanh_scale: float | None = Field(default=None, gt=0)
    neutral_threshold: float | None = Field(default=None, gt=0, lt=1)
    zscore_window_bins: int | None = Field(default=None, ge=2)
    zscore_min_periods: int | None = Field(default=None, ge=2)

    def engine_overrides(self) -> dict[str, Any]:
        """The set keys under their engine parameter names."""
        return {SCORING_TO_ENGINE[k]: v for k, v in self.model_dump(exclude_none=True).items()}


class DerivativeParams(StrictModel):
    """Parameters of the `derivative` state model (spatial weights, robust z, d1-d3 blend)."""

    center_exclusion_radius: int = Field(default=0, ge=0)
    spatial_decay_power: float = Field(default=0.0, ge=0)
    zscore_window_bins: int = Field(default=240, ge=2)
    zscore_min_periods: int = Field(default=60, ge=2)
    tanh_scale: float = Field(default=3.0, gt=0)
    d1_weight: float = Field(default=1.0, ge=0)
    d2_weight: float = Field(default=0.0, ge=0)
    d3_weight: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _usable(self) -> DerivativeParams:
        if self.d1_weight + self.d2_weight + self.d3_weight <= 0:
            raise ValueError("at least one of d1_weight, d2_weight, d3_weight must be > 0")
        if self.zscore_min_periods > self.zscore_window_bins:
            raise ValueError("zscore_min_periods must not exceed zscore_window_bins")
        return self


class DerivativeWeights(StrictModel):
    """Weights of the five state5 intensities in the `derivative` base signal."""

    bull_pressure: float = Field(default=1.0, ge=0)
    bull_vacuum: float = Field(default=1.0, ge=0)
    bear_pressure: float = Field(default=1.0, ge=0)
    bear_vacuum: float = Field(default=1.0, ge=0)
    mixed: float = Field(default=0.0, ge=0)


class FlowScoreSignal(StrictModel):
    """Trade the gold `flow_score` directly; its parameters are the scoring block."""

    name: Literal["flow_score"]


class DerivativeSignal(StrictModel):
    """The `derivative` state model over state5 intensities."""

    name: Literal["derivative"]
    params: DerivativeParams = Field(default_factory=DerivativeParams)
    weights: DerivativeWeights = Field(default_factory=DerivativeWeights)


Signal = Annotated[FlowScoreSignal | DerivativeSignal, Field(discriminator="name")]


class ProjectionConfig(StrictModel):
    """Score projection horizons (whole multiples of the cell width) and curve shape."""

    horizons_ms: list[PositiveInt] = Field(
        default_factory=lambda: [100, 200, 300, 400], min_length=1
    )
    use_cubic: bool = False
    cubic_scale: float = Field(default=1 / 6, ge=0)
    damping_lambda: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _distinct(self) -> ProjectionConfig:
        if len(set(self.horizons_ms)) != len(self.horizons_ms):
            raise ValueError("horizons_ms has duplicates")
        return self


class StreamField(StrictModel):
    """One column of the served grid: name, wire dtype and semantic role."""

    name: str = Field(min_length=1)
    dtype: StreamDtype
    role: StreamFieldRole
    description: str = ""


class ServingSpec(StrictModel):
    """How a model is served: references a pipeline by name and declares the stream it emits."""

    kind: Literal["serving"]
    spec_version: SpecVersion = 2
    name: Name
    description: str = ""
    display_name: str = ""
    model_id: Literal["vacuum_pressure", "silver_grid"] = "vacuum_pressure"
    pipeline: Name
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    signal: Signal | None = None
    projection: ProjectionConfig = Field(default_factory=ProjectionConfig)
    stream_schema: list[StreamField] = Field(min_length=1)
    visualization: VisualizationConfig = Field(default_factory=VisualizationConfig)
    gold_dsl: Name | None = None
