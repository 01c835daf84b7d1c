"""MBO snapshot emulation: the resting orders of one instrument at a point of the script."""

from __future__ import annotations

import numpy as np

from qm_market.envelope import (
    F_BAD_TS_RECV,
    F_LAST,
    F_SNAPSHOT,
    MBO_DTYPE,
    MBO_LENGTH_WORDS,
    RTYPE_MBO,
    MboArray,
)

Order = tuple[bytes, int, int]  # side, price, size


def resting_orders(records: MboArray) -> dict[int, Order]:
    """Orders left resting after applying `records` in order (insertion order = priority)."""
    book: dict[int, Order] = {}
    rows = zip(
        records["action"].tolist(),
        records["order_id"].tolist(),
        records["side"].tolist(),
        records["price"].tolist(),
        records["size"].tolist(),
        strict=True,
    )
    for action, oid, side, price, size in rows:
        if action == b"R":
            book.clear()
        elif action == b"A":
            book[oid] = (side, price, size)
        elif action == b"C" and oid in book:
            s, p, left = book[oid]
            if left - size > 0:
                book[oid] = (s, p, left - size)
            else:
                del book[oid]
        elif action == b"M" and oid in book:
            s, p, old = book[oid]
            if price != p or size > old:
                del book[oid]  # losing priority: re-queue at the back
            book[oid] = (s, price, size)
    return book


def snapshot_records(
    history: MboArray, instrument_id: int, *, ts_event: int, ts_recv: int
) -> MboArray:
    """A Clear then one Add per resting order, flagged F_SNAPSHOT|F_BAD_TS_RECV; last is F_LAST."""
    book = resting_orders(history[history["instrument_id"] == instrument_id])
    out = np.zeros(1 + len(book), dtype=MBO_DTYPE)
    out["length"] = MBO_LENGTH_WORDS
    out["rtype"] = RTYPE_MBO
    out["publisher_id"] = 1
    out["instrument_id"] = instrument_id
    out["ts_event"] = ts_event
    out["ts_recv"] = ts_recv
    out["flags"] = F_SNAPSHOT | F_BAD_TS_RECV
    out["action"][0], out["side"][0] = b"R", b"N"
    for i, (oid, (side, price, size)) in enumerate(book.items(), start=1):
        out[i]["order_id"], out[i]["side"], out[i]["price"], out[i]["size"] = oid, side, price, size
        out[i]["action"] = b"A"
    out["flags"][-1] |= F_LAST
    return out
