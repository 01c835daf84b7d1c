"""Kinds owned by other parts of the platform: GoldDslSpec and SearchTemplate (placeholders that
later issues fill in) and RollPolicySpec (live ingestion's contract-roll policy).

GoldDslSpec and SearchTemplate are strict envelopes only: they fix the kind, name, version and
references so other specs can point at them and validation can check those references. They
compute nothing.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from qm_specs.base import Name, StrictModel
from qm_specs.common import SpecVersion
from qm_specs.experiment import SweepValues


class GoldDslSpec(StrictModel):
    """Envelope of a declarative gold feature DAG; the gold-dsl issue validates the nodes."""

    kind: Literal["gold_dsl"]
    spec_version: SpecVersion = 2
    name: Name
    description: str = ""
    dsl_version: Literal[1] = 1
    nodes: list[dict[str, Any]] = Field(min_length=1)


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class RollPolicySpec(StrictModel):
    """How a continuous live session moves to the next contract (configs/rolls/, ingestion).

    `on_remap`: when the gateway maps the continuous symbol to another contract.
    `days_before_expiry`: decided from instrument definitions; a contract's roll instant is its
    expiration date (in `timezone`) minus `days_before_expiry` days, at `roll_time`.
    """

    kind: Literal["roll_policy"]
    spec_version: SpecVersion = 2
    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    trigger: Literal["on_remap", "days_before_expiry"] = "on_remap"
    days_before_expiry: int | None = Field(default=None, ge=0, le=90)
    roll_time: str = Field(default="17:00", description="HH:MM wall clock of `timezone`")
    timezone: str = "America/New_York"
    reset_book: bool = True
    description: str = ""

    @field_validator("roll_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"expected HH:MM, got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _days_iff_scheduled(self) -> Self:
        scheduled = self.trigger == "days_before_expiry"
        if scheduled and self.days_before_expiry is None:
            raise ValueError("days_before_expiry is required when trigger is days_before_expiry")
        if not scheduled and self.days_before_expiry is not None:
            raise ValueError("days_before_expiry is only allowed with trigger days_before_expiry")
        return self


class SearchTemplate(StrictModel):
    """Envelope of a search over experiments: a base experiment and the axes to explore."""

    kind: Literal["search_template"]
    spec_version: SpecVersion = 2
    name: Name
    description: str = ""
    experiment: Name
    axes: dict[str, SweepValues] = Field(default_factory=dict)
