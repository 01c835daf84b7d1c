"""InstrumentSpec: the traded contract and its session rules (configs/instruments/*.yaml).

The files are written by the market side (issue 3, `qm_market.instruments`); this model accepts
the same keys and defaults, strictly, and specs reference an instrument by its `symbol`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from qm_specs.base import StrictModel
from qm_specs.common import HHMM, SpecVersion, Timezone
from qm_specs.enums import ProductType


class SessionRules(StrictModel):
    """Trading hours in exchange-local wall-clock time; Globex futures open the evening before."""

    timezone: Timezone = "America/New_York"
    open: HHMM
    close: HHMM
    open_previous_day: bool = False
    rth_open: HHMM = "09:30"
    rth_close: HHMM = "16:00"

    @model_validator(mode="after")
    def _ordered(self) -> SessionRules:
        if not self.open_previous_day and self.open >= self.close:
            raise ValueError(
                f"session open {self.open} must be before close {self.close} "
                "(set open_previous_day for sessions that start the evening before)"
            )
        if self.rth_open >= self.rth_close:
            raise ValueError(f"rth_open {self.rth_open} must be before rth_close {self.rth_close}")
        return self


class SyntheticProfile(StrictModel):
    """How the synthetic order-flow generator simulates this instrument."""

    start_price: float = Field(gt=0)
    instrument_id: int | None = Field(default=None, ge=1, lt=2**32)
    events_per_second: float = Field(default=400.0, gt=0)


class InstrumentSpec(StrictModel):
    """One instrument: identity, price grid and contract facts, session rules."""

    kind: Literal["instrument"]
    spec_version: SpecVersion = 2
    symbol: str = Field(pattern=r"^[A-Z0-9][A-Z0-9.]{0,19}$")
    root: str = Field(pattern=r"^[A-Z0-9]{1,8}$")
    product_type: ProductType
    dataset: str = Field(default="GLBX.MDP3", min_length=1, max_length=16)
    tick_size: float = Field(gt=0)
    multiplier: float = Field(gt=0)
    price_decimals: int = Field(ge=0, le=9)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    qty_unit: Literal["contracts", "shares"] = "contracts"
    session: SessionRules
    synthetic: SyntheticProfile | None = None
    description: str = ""
