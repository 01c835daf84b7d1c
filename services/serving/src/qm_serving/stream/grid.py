"""Bins of a session: engine silver bins plus incremental gold, encoded once for all subscribers."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from qm_engine import fields as ef
from qm_engine.engine import BinBlock, Engine
from qm_engine.gold import GOLD_COLUMNS, GoldState, gold_meta
from qm_serving.compute.frames import encode_frame, header_prefix

_FLOAT_NAMES = tuple(f.name for f in ef.SILVER_FIELDS if f.dtype == "float64")
_LABEL_NAMES = (
    "best_ask_move_ticks",
    "best_bid_move_ticks",
    "ask_reprice_sign",
    "bid_reprice_sign",
    "microstate_id",
    "chase_up_flag",
    "chase_down_flag",
)
_META_NAMES = (
    "bin_seq",
    "ts_ns",
    "bin_start_ns",
    "bin_end_ns",
    "bin_event_count",
    "event_id",
    "best_bid_price_int",
    "best_ask_price_int",
    "spot_ref_price_int",
    "center_price_int",
    "spread_ticks",
    "book_valid",
)

Columns = dict[str, npt.NDArray[Any]]


@dataclass(frozen=True, slots=True)
class EncodedBin:
    """One bin ready for the wire: header prefix (no drop count), Arrow frame, stream time.

    `text` is the complete header of the common case (nothing dropped since the last frame) and
    `wire` that header and the frame as WebSocket frames: both made once per bin by the producer
    instead of once per subscriber.
    """

    bin_seq: int
    bin_end_ns: int
    header: str
    frame: bytes
    text: str = ""
    wire: bytes = b""


def silver_columns(block: BinBlock, j: int) -> Columns:
    """Per-row silver columns of bin j of a block (labels broadcast to every row)."""
    rows = block.silver_i.shape[1]
    cols: Columns = {
        "k": block.silver_i[j, :, 0].astype(np.int32),
        "price_int": block.silver_i[j, :, 1],
        "last_event_id": block.silver_i[j, :, 2],
    }
    for idx, name in enumerate(_FLOAT_NAMES):
        cols[name] = block.silver_f[j, :, idx]
    for idx, name in enumerate(_LABEL_NAMES):
        dtype = ef.produced_fields()[name].dtype
        cols[name] = np.full(rows, block.labels[j, idx], dtype=dtype)
    return cols


def gold_columns(gold: GoldState, block: BinBlock, meta: npt.NDArray[np.int64], j: int) -> Columns:
    """Gold columns of bin j from the engine's incremental kernel (call in bin order)."""
    rows = gold.step(meta[j], block.silver_f[j], block.silver_i[j, :, 1])
    produced = ef.produced_fields()
    return {
        name: rows[:, idx].astype(produced[name].dtype) for idx, name in enumerate(GOLD_COLUMNS)
    }


def bin_meta(block: BinBlock, j: int, price_scale: float) -> dict[str, Any]:
    """Per-bin header values: ints as ints (the header makes the big ones strings)."""
    raw = [int(v) for v in block.meta[j]]
    meta: dict[str, Any] = dict(zip(_META_NAMES, raw, strict=True))
    meta["book_valid"] = bool(meta["book_valid"])
    bid, ask = meta["best_bid_price_int"], meta["best_ask_price_int"]
    meta["mid_price"] = (bid + ask) / 2 * price_scale if bid and ask else None
    meta["spot"] = meta["spot_ref_price_int"] * price_scale if meta["spot_ref_price_int"] else None
    return meta


class GridComputer:
    """Feeds record batches to the engine; gold and encoding happen lazily, one bin at a time.

    Closing bins is cheap (numba); gold + Arrow encoding is the Python-heavy part, so it is done
    per bin on demand: a producer never holds the interpreter for a whole batch of bins.
    """

    def __init__(
        self, engine: Engine, gold: GoldState | None, schema: pa.Schema, price_scale: float
    ) -> None:
        self.engine = engine
        self.gold = gold
        self.schema = schema
        self.price_scale = price_scale
        self._pending: deque[tuple[BinBlock, npt.NDArray[np.int64] | None, int]] = deque()

    def _queue(self, blocks: list[BinBlock]) -> None:
        for block in blocks:
            gmeta = gold_meta(block.meta, block.labels) if self.gold is not None else None
            self._pending.extend((block, gmeta, j) for j in range(len(block)))

    def feed(self, records: Any) -> None:
        """Apply a batch of MBO records; the bins it closes wait for `next_bin`."""
        self._queue(self.engine.feed(records))

    def close(self) -> None:
        """Close every remaining bin up to the session end."""
        self._queue(self.engine.finish())

    def next_bin(self) -> EncodedBin | None:
        """The next closed bin, encoded (None when no closed bin is waiting)."""
        if not self._pending:
            return None
        block, gmeta, j = self._pending.popleft()
        cols = silver_columns(block, j)
        if self.gold is not None and gmeta is not None:
            cols.update(gold_columns(self.gold, block, gmeta, j))
        meta = bin_meta(block, j, self.price_scale)
        return EncodedBin(
            bin_seq=meta["bin_seq"],
            bin_end_ns=meta["bin_end_ns"],
            header=header_prefix(meta),
            frame=encode_frame(self.schema, cols),
        )

    def next_end_ns(self) -> int | None:
        """bin_end_ns of the next closed bin (None when none is waiting)."""
        if not self._pending:
            return None
        block, _gmeta, j = self._pending[0]
        return int(block.meta[j, _META_NAMES.index("bin_end_ns")])

    def skip_bin(self) -> None:
        """Take the next closed bin through the gold state without encoding it (catch-up)."""
        block, gmeta, j = self._pending.popleft()
        if self.gold is not None and gmeta is not None:
            self.gold.step(gmeta[j], block.silver_f[j], block.silver_i[j, :, 1])

    def drain(self) -> list[EncodedBin]:
        """Every waiting bin, encoded."""
        out = []
        while (item := self.next_bin()) is not None:
            out.append(item)
        return out

    def push(self, records: Any) -> list[EncodedBin]:
        """Feed a batch and encode the bins it closed."""
        self.feed(records)
        return self.drain()

    def finish(self) -> list[EncodedBin]:
        """Close the session and encode the remaining bins."""
        self.close()
        return self.drain()
