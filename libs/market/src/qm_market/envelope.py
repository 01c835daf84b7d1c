"""The market event envelope: batches of DBN MBO records plus symbols, source and resume cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

# The DBN v1-v3 MBO record, 56 bytes, little endian, exactly as Databento writes it.
MBO_DTYPE = np.dtype(
    [
        ("length", "u1"),
        ("rtype", "u1"),
        ("publisher_id", "<u2"),
        ("instrument_id", "<u4"),
        ("ts_event", "<u8"),
        ("order_id", "<u8"),
        ("price", "<i8"),
        ("size", "<u4"),
        ("flags", "u1"),
        ("channel_id", "u1"),
        ("action", "S1"),
        ("side", "S1"),
        ("ts_recv", "<u8"),
        ("ts_in_delta", "<i4"),
        ("sequence", "<u4"),
    ]
)
assert MBO_DTYPE.itemsize == 56
RTYPE_MBO = 0xA0
MBO_LENGTH_WORDS = 14

F_LAST = 128
F_TOB = 64
F_SNAPSHOT = 32
F_MBP = 16
F_BAD_TS_RECV = 8
F_MAYBE_BAD_BOOK = 4
UNDEF_PRICE = np.iinfo(np.int64).max
PRICE_SCALE = 1e-9

MboArray = npt.NDArray[np.void]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Resume point: the last delivered record is the ordinal-th (0-based) with this ts_event."""

    ts_event: int
    ordinal: int


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where records come from: kind (dbn-file, live, synthetic), location, dataset, schema."""

    kind: str
    location: str
    dataset: str
    schema: str
    start_ns: int = 0
    end_ns: int = 0


@dataclass(frozen=True, slots=True)
class MarketBatch:
    """One batch of MBO records (structured array over the DBN layout) with its context."""

    records: MboArray
    symbols: Mapping[int, str]
    source: SourceInfo
    cursor: Cursor
    extra: Mapping[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.records.shape[0])


def advance_cursor(previous: Cursor | None, ts_event: npt.NDArray[np.uint64]) -> Cursor | None:
    """The cursor after delivering records with these ts_event values (in delivery order)."""
    n = int(ts_event.shape[0])
    if n == 0:
        return previous
    last = int(ts_event[-1])
    # length of the trailing run of records sharing the last ts_event
    differs = np.flatnonzero(ts_event != ts_event[-1])
    run = n if differs.size == 0 else n - 1 - int(differs[-1])
    if differs.size == 0 and previous is not None and previous.ts_event == last:
        return Cursor(last, previous.ordinal + run)
    return Cursor(last, run - 1)


def empty_records() -> MboArray:
    """A zero-length MBO array."""
    return np.zeros(0, dtype=MBO_DTYPE)
