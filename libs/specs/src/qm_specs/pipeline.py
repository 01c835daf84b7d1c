"""PipelineSpec: which instrument, which source, which capture window, which engine parameters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from qm_specs.base import Name, StrictModel
from qm_specs.common import HHMM, SessionDate, SpecVersion, Timezone
from qm_specs.engine_params import EngineOverrides


class SyntheticSource(StrictModel):
    """Deterministic synthetic order flow (qm_market.synth) for the pipeline's instrument."""

    kind: Literal["synthetic"]
    seed: int = Field(default=7, ge=0)


class DbnFileSource(StrictModel):
    """A recorded Databento MBO file, path relative to the data root."""

    kind: Literal["dbn_file"]
    path: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]*\.dbn(\.zst)?$")

    @field_validator("path")
    @classmethod
    def _inside_data_root(cls, value: str) -> str:
        if ".." in value.split("/"):
            raise ValueError("path must stay inside the data root (no '..')")
        return value


class LiveSource(StrictModel):
    """A live ingestion session of the Databento gateway."""

    kind: Literal["live"]
    dataset: str = Field(default="GLBX.MDP3", min_length=1)
    # The session's subscription symbol: raw (ESZ6) or continuous (ES.c.0, which rolls);
    # omitted means the pipeline's instrument symbol.
    symbol: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{1,8}(\.[cnv]\.\d{1,2}|[A-Z0-9]{0,12})$"
    )


Source = Annotated[SyntheticSource | DbnFileSource | LiveSource, Field(discriminator="kind")]


class Capture(StrictModel):
    """The session window: date and wall-clock start/end in the instrument's timezone."""

    date: SessionDate
    start_time: HHMM
    end_time: HHMM
    timezone: Timezone = "America/New_York"

    @model_validator(mode="after")
    def _start_before_end(self) -> Capture:
        if self.start_time >= self.end_time:
            raise ValueError(
                f"start_time {self.start_time} must be before end_time {self.end_time}"
            )
        return self


class PipelineSpec(StrictModel):
    """Source + instrument + capture window + engine parameters: everything that makes a dataset."""

    kind: Literal["pipeline"]
    spec_version: SpecVersion = 2
    name: Name
    description: str = ""
    instrument: str = Field(min_length=1)
    source: Source
    capture: Capture
    engine: EngineOverrides = Field(default_factory=EngineOverrides)
