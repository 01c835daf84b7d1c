"""Replay a DBN file into the L3 book and report the aggregated levels (the book CLI's core)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from qm_core.errors import Invalid
from qm_engine.engine import Engine
from qm_engine.fields import EngineParams
from qm_market.dbn_file import DbnFileSource

# Book-only replay: level size 1 (every price its own level) is not needed, the book output
# comes from the order table at exact prices; tick_int only sizes the physics/level arrays.
_DEFAULT_TICK_INT = 10_000_000  # 0.01


def replay_book(
    path: str | Path,
    *,
    instrument_id: int | None = None,
    until_ns: int | None = None,
    tick_int: int = _DEFAULT_TICK_INT,
) -> dict[str, Any]:
    """Apply every record (of one instrument) with ts_event <= until_ns; return the book JSON.

    Without instrument_id the first MBO record's instrument is used.
    """
    source = DbnFileSource(path, instrument_ids=None if instrument_id is None else {instrument_id})
    engine = Engine(tick_int, EngineParams())
    chosen = instrument_id
    for records in source.iter_records():
        if chosen is None:
            chosen = int(records["instrument_id"][0])
        rec = records[records["instrument_id"] == chosen] if instrument_id is None else records
        if until_ns is not None:
            rec = rec[rec["ts_event"] <= np.uint64(until_ns)]
        engine.feed(rec)
    if chosen is None:
        raise Invalid(f"no MBO records for the requested instrument in {Path(path).name}")
    bids, asks = engine.book()
    ts = engine.last_ts if engine.counters["records"] else 0
    return {"instrument_id": chosen, "ts_event": ts, "bids": bids, "asks": asks}
