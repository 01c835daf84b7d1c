"""ExperimentSpec: evaluate a serving spec's signal with TP/SL rules over a parameter sweep."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from qm_specs.base import Name, StrictModel
from qm_specs.common import SpecVersion

PosInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
SweepValue = float | int | bool | str
SweepValues = Annotated[list[SweepValue], Field(min_length=1)]


class Costs(StrictModel):
    """Round-trip trading costs charged per trade."""

    commission_per_contract: float = Field(default=0.0, ge=0)
    slippage_ticks: float = Field(default=0.0, ge=0)


class EvalConfig(StrictModel):
    """TP/SL evaluation: targets in ticks (a list is a sweep axis), hold, warmup, cooldown."""

    tp_ticks: list[PosInt] = Field(default_factory=lambda: [8], min_length=1)
    sl_ticks: list[PosInt] = Field(default_factory=lambda: [4], min_length=1)
    max_hold_bins: PosInt = 1200
    warmup_bins: NonNegInt = 300
    cooldown_bins: list[NonNegInt] = Field(default_factory=lambda: [20], min_length=1)
    min_signals: PosInt = 5
    costs: Costs = Field(default_factory=Costs)


class SweepConfig(StrictModel):
    """Sweep axes: scoring keys and signal params/weights, each with the values to try."""

    scoring: dict[str, SweepValues] = Field(default_factory=dict)
    signal: dict[str, SweepValues] = Field(default_factory=dict)


class ParallelConfig(StrictModel):
    """How many run specs execute at once and how long one may take."""

    max_workers: PosInt = 2
    timeout_seconds: PosInt = 7200


class BudgetConfig(StrictModel):
    """Upper bounds the job refuses to exceed: run count and wall-clock time."""

    max_runs: PosInt = 256
    max_wall_seconds: PosInt = 4 * 3600


class ExperimentSpec(StrictModel):
    """A sweep over one serving spec, evaluated with TP/SL rules."""

    kind: Literal["experiment"]
    spec_version: SpecVersion = 2
    name: Name
    description: str = ""
    serving: Name
    eval: EvalConfig = Field(default_factory=EvalConfig)
    sweep: SweepConfig = Field(default_factory=SweepConfig)
    parallel: ParallelConfig = Field(default_factory=ParallelConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
