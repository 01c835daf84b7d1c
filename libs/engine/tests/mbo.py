"""Build MBO record arrays by hand for engine tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from qm_market.envelope import F_LAST, F_SNAPSHOT, MBO_DTYPE

TICK = 250_000_000
BASE_TS = 1_772_461_500_000_000_000


def mbo(rows: list[tuple[Any, ...]], instrument_id: int = 7) -> np.ndarray:  # type: ignore[type-arg]
    """Rows of (ts_offset_ns, action, side, price_ticks, size, order_id[, flags]) -> records."""
    arr = np.zeros(len(rows), dtype=MBO_DTYPE)
    for i, row in enumerate(rows):
        dt, action, side, ticks, size, oid = row[:6]
        flags = row[6] if len(row) > 6 else F_LAST
        arr[i]["length"], arr[i]["rtype"], arr[i]["instrument_id"] = 14, 0xA0, instrument_id
        arr[i]["ts_event"] = BASE_TS + dt
        arr[i]["action"], arr[i]["side"] = action.encode(), side.encode()
        arr[i]["price"] = ticks * TICK
        arr[i]["size"], arr[i]["order_id"], arr[i]["flags"] = size, oid, flags
        arr[i]["sequence"] = i + 1
    return arr


SNAP = F_SNAPSHOT
SNAP_LAST = F_SNAPSHOT | F_LAST
