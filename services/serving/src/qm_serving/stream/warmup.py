"""Compile the engine and gold kernels once at start-up so the first stream starts on time."""

from __future__ import annotations

import logging
import time
from datetime import date

from qm_engine.engine import Engine
from qm_engine.fields import EngineParams
from qm_engine.gold import GoldState
from qm_market.instruments import Instrument
from qm_market.synth import SynthSpec, generate
from qm_serving.compute.frames import arrow_schema
from qm_serving.stream.grid import GridComputer

log = logging.getLogger("qm.serving.stream")
_INSTRUMENT = {
    "kind": "instrument",
    "symbol": "WARMUP",
    "root": "WARMUP",
    "product_type": "future_mbo",
    "dataset": "GLBX.MDP3",
    "tick_size": 0.25,
    "multiplier": 1.0,
    "price_decimals": 2,
    "session": {"timezone": "America/New_York", "open": "09:30", "close": "16:00"},
    "synthetic": {"start_price": 100.0, "events_per_second": 400.0},
}


def warm_up() -> float:
    """Run a few seconds of synthetic flow through engine, gold and encoder; returns seconds."""
    began = time.monotonic()
    spec = SynthSpec(Instrument.model_validate(_INSTRUMENT), date(2026, 1, 5), "09:30", 0.05, 1)
    params = EngineParams(grid_radius_ticks=5)
    tick_int = round(0.25 / 1e-9)
    computer = GridComputer(
        Engine(tick_int, params, start_ns=spec.start_ns, end_ns=spec.end_ns),
        GoldState(params, 11, tick_int),
        arrow_schema([("k", "int32"), ("composite", "float64"), ("state5_code", "int8")]),
        1e-9,
    )
    for batch in generate(spec, chunk_rows=1024):
        computer.push(batch)
    computer.finish()
    elapsed = time.monotonic() - began
    log.info("stream kernels warm", extra={"seconds": round(elapsed, 2)})
    return elapsed
