"""Fixtures: a small scripted market and a simulated gateway on a free port (own thread)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qm_market.instruments import load_instrument
from qm_market.lsg_sim import MarketScript, SimGateway, roll_script, synthetic_script

KEY = "db-" + "k" * 24 + "abcde"
INSTRUMENTS = Path(__file__).resolve().parents[4] / "configs" / "instruments"


@pytest.fixture(scope="session")
def script() -> MarketScript:
    inst = load_instrument(INSTRUMENTS / "ESZ6.yaml")
    return synthetic_script(
        inst, day=date(2026, 11, 2), minutes=0.25, seed=5, events_per_second=300
    )


def _es_roll(**extra: Any) -> MarketScript:
    """ESZ6 rolling into ESH7 on the ES.c.0 remap (extra: e.g. contract expirations)."""
    inst = load_instrument(INSTRUMENTS / "ESZ6.yaml")
    return roll_script(
        inst,
        back_symbol="ESH7",
        back_instrument_id=42140999,
        day=date(2026, 11, 2),
        minutes=0.25,
        seed=5,
        events_per_second=300,
        **extra,
    )


@pytest.fixture(scope="session")
def rolling() -> MarketScript:
    return _es_roll()


@pytest.fixture(scope="session")
def listed() -> MarketScript:
    """The rolling market with both contracts' expirations (served as ES.FUT definitions)."""
    inst = load_instrument(INSTRUMENTS / "ESZ6.yaml")
    return _es_roll(
        front_expiration_ns=inst.et_to_ns(date(2026, 12, 18), "09:30"),
        back_expiration_ns=inst.et_to_ns(date(2027, 3, 19), "09:30"),
    )


def _threaded(script: MarketScript) -> Iterator[SimGateway]:
    gw = SimGateway(script, keys=[KEY], rate=50_000)
    gw.start_in_thread()
    yield gw
    gw.stop_thread()


@pytest.fixture
def gateway(script: MarketScript) -> Iterator[SimGateway]:
    yield from _threaded(script)


@pytest.fixture
def listed_gateway(listed: MarketScript) -> Iterator[SimGateway]:
    yield from _threaded(listed)


@pytest.fixture
def key() -> str:
    return KEY
