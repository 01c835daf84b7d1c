"""Engine: the Python face of the numba kernels (book, event-time physics, silver bins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from qm_engine import _layout as lay
from qm_engine._core import flush_bins, run
from qm_engine._orders import rehash
from qm_engine._physics import N_SCRATCH, make_params
from qm_engine.fields import EngineParams
from qm_engine.params import validate_params

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BinBlock:
    """Closed bins: meta (n, 12), labels (n, 7), silver floats (n, 2R+1, 24), ints (n, 2R+1, 3)."""

    meta: I64
    labels: I64
    silver_f: F64
    silver_i: I64

    def __len__(self) -> int:
        return int(self.meta.shape[0])


def record_columns(rec: Any) -> tuple[Any, ...]:
    """The column views the kernel reads from an MBO structured array (no copies)."""
    return (
        rec["ts_event"],
        rec["order_id"],
        rec["price"],
        rec["size"],
        rec["flags"],
        rec["action"].view(np.uint8),
        rec["side"].view(np.uint8),
        rec["sequence"],
    )


class Engine:
    """One instrument's book + physics; with start_ns/end_ns it also closes silver bins."""

    def __init__(
        self,
        tick_int: int,
        params: EngineParams | None = None,
        *,
        start_ns: int | None = None,
        end_ns: int | None = None,
        order_bits: int = 16,
        out_capacity: int = 256,
    ) -> None:
        self.params = validate_params(params or EngineParams())
        p = self.params
        n = p.n_absolute_ticks
        self.rows = 2 * p.grid_radius_ticks + 1
        self.st = np.zeros(lay.S_SIZE, dtype=np.int64)
        self.st[[lay.S_N, lay.S_TICK_INT, lay.S_RADIUS]] = (n, tick_int, p.grid_radius_ticks)
        self.st[[lay.S_BEST_BID, lay.S_BEST_ASK]] = -1
        if start_ns is not None:
            width = p.cell_width_ms * 1_000_000
            self.st[[lay.S_BINS_ON, lay.S_BIN_START, lay.S_BIN_END, lay.S_WIDTH]] = (
                1,
                start_ns,
                start_ns + width,
                width,
            )
            self.st[lay.S_END_NS] = end_ns if end_ns is not None else np.iinfo(np.int64).max
        self.par = make_params(p.tau_velocity, p.tau_acceleration, p.tau_jerk, p.tau_rest_decay)
        self.lv = np.zeros((n, 4), dtype=np.int64)
        self.phys = np.zeros((n, lay.N_PHYS), dtype=np.float64)
        self.plast = np.zeros((n, 2), dtype=np.int64)
        self.co = np.zeros(N_SCRATCH, dtype=np.float64)
        self.tmp = np.zeros(lay.N_PHYS, dtype=np.float64)
        self._alloc_orders(order_bits)
        self.out = (
            np.zeros((out_capacity, lay.N_BIN_COLS), dtype=np.int64),
            np.zeros((out_capacity, lay.N_LABELS), dtype=np.int64),
            np.zeros((out_capacity, self.rows, lay.N_SILVER_F), dtype=np.float64),
            np.zeros((out_capacity, self.rows, 3), dtype=np.int64),
        )
        self.ended = False

    def _alloc_orders(self, bits: int) -> None:
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.oc = np.zeros((1 << bits, 4), dtype=np.int64)
        self.st[lay.S_CAP_BITS], self.st[lay.S_CAP_MASK] = bits, (1 << bits) - 1

    def _grow_orders(self) -> None:
        keys, cols = self.keys, self.oc
        self._alloc_orders(int(self.st[lay.S_CAP_BITS]) + 1)
        rehash(
            keys,
            cols,
            self.keys,
            self.oc,
            int(self.st[lay.S_CAP_BITS]),
            int(self.st[lay.S_CAP_MASK]),
        )

    def _take(self, nb: int) -> BinBlock:
        b, lbl, f, i = self.out
        return BinBlock(b[:nb].copy(), lbl[:nb].copy(), f[:nb].copy(), i[:nb].copy())

    def feed(self, records: Any) -> list[BinBlock]:
        """Apply a batch of MBO records (one instrument); returns the bins closed meanwhile."""
        blocks: list[BinBlock] = []
        if self.ended or records.shape[0] == 0:
            return blocks
        cols = record_columns(records)
        pos = 0
        while True:
            pos, nb, status = run(
                cols,
                pos,
                self.st,
                self.par,
                self.lv,
                self.phys,
                self.plast,
                self.co,
                self.tmp,
                self.keys,
                self.oc,
                self.out,
            )
            if nb:
                blocks.append(self._take(nb))
            if status == lay.ST_TABLE_FULL:
                self._grow_orders()
            elif status == lay.ST_END:
                self.ended = True
                return blocks + self.finish()
            elif status == lay.ST_DONE:
                return blocks

    def finish(self) -> list[BinBlock]:
        """Close every remaining bin up to end_ns (empty bins included)."""
        blocks: list[BinBlock] = []
        while True:
            b, lbl, f, i = self.out
            nb, status = flush_bins(
                self.st, self.par, self.lv, self.phys, self.plast, self.co, self.tmp, b, lbl, f, i
            )
            if nb:
                blocks.append(self._take(nb))
            if status == lay.ST_DONE:
                return blocks

    @property
    def counters(self) -> dict[str, int]:
        """Event counters: records, sequence gaps, bad-book flags, out-of-range, ..."""
        return {name: int(self.st[slot]) for name, slot in lay.COUNTERS.items()}

    @property
    def last_ts(self) -> int:
        """ts_event of the last applied record."""
        return int(self.st[lay.S_LAST_TS])

    def book(self) -> tuple[list[list[int]], list[list[int]]]:
        """Aggregated book from the order table: (bids, asks) of [price_int, size, order_count]."""
        live = self.keys != 0
        side, price, qty = self.oc[live, 0], self.oc[live, 2], self.oc[live, 3]
        return _levels(price[side == 1], qty[side == 1], True), _levels(
            price[side == 0], qty[side == 0], False
        )

    def best_prices(self) -> tuple[int, int]:
        """Best bid and ask price_int from the level arrays (0 when a side is empty)."""
        base, ti = int(self.st[lay.S_BASE]), int(self.st[lay.S_TICK_INT])
        bb, ba = int(self.st[lay.S_BEST_BID]), int(self.st[lay.S_BEST_ASK])
        return ((base + bb) * ti if bb >= 0 else 0, (base + ba) * ti if ba >= 0 else 0)


def _levels(price: I64, qty: I64, descending: bool) -> list[list[int]]:
    if price.size == 0:
        return []
    uniq, inv = np.unique(price, return_inverse=True)
    size = np.bincount(inv, weights=qty).astype(np.int64)
    count = np.bincount(inv).astype(np.int64)
    order = np.arange(uniq.size)[::-1] if descending else np.arange(uniq.size)
    return [[int(uniq[j]), int(size[j]), int(count[j])] for j in order]
