"""Instrument definitions (configs/instruments/*.yaml) and their validated loader."""

from __future__ import annotations

import re
import zlib
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qm_core.errors import Invalid, NotFound
from qm_market.envelope import PRICE_SCALE

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DEFAULT_INSTRUMENTS_DIR = Path("configs/instruments")


class SessionRules(BaseModel):
    """Trading session in wall-clock time of `timezone` (ETH open may be the previous day)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: Literal["America/New_York"] = "America/New_York"
    open: str = Field(description="session open HH:MM")
    close: str = Field(description="session close HH:MM")
    rth_open: str = "09:30"
    rth_close: str = "16:00"
    open_previous_day: bool = False

    @field_validator("open", "close", "rth_open", "rth_close")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"expected HH:MM, got {value!r}")
        return value


class SyntheticDefaults(BaseModel):
    """Parameters of synthetic sessions for this instrument."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_price: float = Field(gt=0)
    instrument_id: int | None = Field(default=None, ge=1, lt=2**32)
    events_per_second: float = Field(default=400.0, gt=0)


class Instrument(BaseModel):
    """One tradable instrument (a futures contract or an equity)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["instrument"]
    symbol: str = Field(pattern=r"^[A-Z0-9][A-Z0-9.]{0,19}$")
    root: str = Field(pattern=r"^[A-Z0-9]{1,8}$")
    product_type: Literal["future_mbo", "equity_mbo"]
    dataset: str = Field(min_length=1, max_length=16)
    tick_size: float = Field(gt=0)
    multiplier: float = Field(gt=0)
    price_decimals: int = Field(ge=0, le=9)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    qty_unit: str = "contracts"
    session: SessionRules
    synthetic: SyntheticDefaults | None = None
    description: str = ""

    @property
    def tick_int(self) -> int:
        """Tick size in DBN fixed-point units (1e-9)."""
        return round(self.tick_size / PRICE_SCALE)

    @property
    def synthetic_instrument_id(self) -> int:
        """instrument_id used in synthetic files (configured, else a stable CRC of the symbol)."""
        if self.synthetic is not None and self.synthetic.instrument_id is not None:
            return self.synthetic.instrument_id
        return zlib.crc32(self.symbol.encode()) & 0x7FFFFFFF or 1

    def et_to_ns(self, day: date, hhmm: str) -> int:
        """UTC ns of a wall-clock HH:MM[:SS] on `day` in the session timezone (DST-aware)."""
        wall = datetime.combine(
            day, time.fromisoformat(hhmm), tzinfo=ZoneInfo(self.session.timezone)
        )
        return int(wall.timestamp()) * 1_000_000_000


def load_instrument(path: str | Path) -> Instrument:
    """Load and validate one instrument YAML; NotFound / Invalid name the file and the problem."""
    file = Path(path)
    if not file.is_file():
        raise NotFound(f"instrument file not found: {file}")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise Invalid(f"{file.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise Invalid(f"{file.name}: expected a mapping")
    try:
        return Instrument.model_validate(data)
    except ValidationError as exc:
        raise Invalid(f"{file.name}: invalid instrument: {exc}") from exc


def find_instrument(symbol: str, directory: str | Path = DEFAULT_INSTRUMENTS_DIR) -> Instrument:
    """The instrument whose YAML in `directory` has this symbol."""
    folder = Path(directory)
    candidate = folder / f"{symbol}.yaml"
    if candidate.is_file():
        return load_instrument(candidate)
    for file in sorted(folder.glob("*.yaml")):
        inst = load_instrument(file)
        if inst.symbol == symbol:
            return inst
    raise NotFound(f"unknown instrument {symbol!r}: no YAML for it under {folder}")
