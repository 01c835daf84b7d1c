"""Plain-Python reference engine: the same semantics as qm_engine, written for clarity.

Physics here uses the per-level closed-form decay (state advanced to each event time), not the
modal form of the numba kernel, so agreement between the two checks the math as well as the
code. Used by the conformance tests and by bench/engine.py as the same-run reference figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

F_LAST, F_SNAPSHOT, F_MAYBE_BAD_BOOK = 128, 32, 4
UNDEF = np.iinfo(np.int64).max
CHANNELS = ("add", "pull", "fill", "bid", "ask")


@dataclass
class Level:
    """Physics state of one absolute price level (v, a, j per channel, masses)."""

    last_ts: int = 0
    last_event_id: int = 0
    mass: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    vaj: list[list[float]] = field(default_factory=lambda: [[0.0, 0.0, 0.0] for _ in range(5)])


def _dd(ex: float, ey: float, x: float, y: float) -> float:
    return (ey - ex) / (y - x)


class ReferenceEngine:
    """Dict-based L3 book with Databento MBO semantics, event-time physics and silver bins."""

    def __init__(
        self, tick_int: int, params: Any, start_ns: int | None = None, end_ns: int | None = None
    ) -> None:
        self.ti = tick_int
        self.p, self.q, self.s = (
            1 / params.tau_velocity,
            1 / params.tau_acceleration,
            1 / params.tau_jerk,
        )
        self.r = 1 / params.tau_rest_decay
        self.R = params.grid_radius_ticks
        self.orders: dict[int, list[int]] = {}  # oid -> [is_bid, tick, price, qty]
        self.depth: dict[tuple[int, int], list[int]] = {}  # (is_bid, tick) -> [qty, count]
        self.levels: dict[int, Level] = {}
        self.now = 0
        self.event_id = 0
        self.snap = False
        self.valid = False
        self.at_last = False
        self.last_ts = 0
        self.counters = {
            "out_of_range": 0,
            "unknown_order": 0,
            "trades": 0,
            "fills": 0,
            "sequence_gaps": 0,
            "maybe_bad_book": 0,
        }
        self.last_seq = 0
        self.width = params.cell_width_ms * 1_000_000
        self.bins_on = start_ns is not None
        self.bin_start = start_ns or 0
        self.bin_end = self.bin_start + self.width
        self.end_ns = end_ns if end_ns is not None else 2**62
        self.bin_seq = 0
        self.bin_count = 0
        self.prev: tuple[int, int] | None = None
        self.bins: list[dict[str, Any]] = []
        self.ended = False

    # ---- physics -----------------------------------------------------------------------------
    def _advance(self, lv: Level, t: int) -> tuple[list[float], list[list[float]]]:
        if lv.last_ts == 0 or t <= lv.last_ts:
            return list(lv.mass), [list(x) for x in lv.vaj]
        dt = (t - lv.last_ts) * 1e-9
        p, q, s = self.p, self.q, self.s
        ep, eq, es = math.exp(-p * dt), math.exp(-q * dt), math.exp(-s * dt)
        f_pq, f_qs, f_ps = _dd(ep, eq, p, q), _dd(eq, es, q, s), _dd(ep, es, p, s)
        f_pqs = (f_qs - f_pq) / (s - p)
        er = math.exp(-self.r * dt)
        out = []
        for v, a, j in lv.vaj:
            out.append(
                [
                    v * ep,
                    a * eq + p * q * f_pq * v,
                    j * es + q * s * f_qs * a + p * q * s * f_ps * v + p * q * q * s * f_pqs * v,
                ]
            )
        return [m * er for m in lv.mass], out

    def _impulse(self, tick: int, ch: int, d: float) -> None:
        lv = self.levels.setdefault(tick, Level())
        lv.mass, lv.vaj = self._advance(lv, self.now)
        lv.last_ts = self.now
        lv.last_event_id = self.event_id
        if ch < 3:
            lv.mass[ch] += d
        p, q, s = self.p, self.q, self.s
        x = lv.vaj[ch]
        x[0] += p * d
        x[1] += p * q * d
        x[2] += p * q * s * d

    # ---- book --------------------------------------------------------------------------------
    def _tick(self, price: int) -> int:
        return (price + self.ti // 2) // self.ti

    def _rest(self, is_bid: int, tick: int, dq: int, dc: int, ch: int, snap: bool) -> None:
        lvl = self.depth.setdefault((is_bid, tick), [0, 0])
        lvl[0] += dq
        lvl[1] += dc
        if lvl[0] == 0 and lvl[1] == 0:
            del self.depth[(is_bid, tick)]
        if not snap:
            if ch >= 0:
                self._impulse(tick, ch, float(abs(dq)))
            self._impulse(tick, 3 if is_bid else 4, float(dq))

    def _remove(self, oid: int, amount: int, ch: int, snap: bool) -> None:
        o = self.orders[oid]
        take = min(amount, o[3])
        o[3] -= take
        gone = o[3] == 0
        self._rest(o[0], o[1], -take, -1 if gone else 0, ch, snap)
        if gone:
            del self.orders[oid]

    def _add(self, oid: int, is_bid: int, price: int, size: int, snap: bool) -> None:
        if oid in self.orders:
            self._remove(oid, self.orders[oid][3], -1, snap)
        tick = self._tick(price)
        self.orders[oid] = [is_bid, tick, price, size]
        self._rest(is_bid, tick, size, 1, 0, snap)

    def _modify(self, oid: int, is_bid: int, price: int, size: int, snap: bool) -> None:
        if oid not in self.orders:
            if size > 0:
                self._add(oid, is_bid, price, size, snap)
            return
        o = self.orders[oid]
        tick = self._tick(price)
        if size == 0:
            self._remove(oid, o[3], 1, snap)
        elif o[1] == tick and o[0] == is_bid:
            diff = size - o[3]
            o[3], o[2] = size, price
            if diff:
                self._rest(is_bid, tick, diff, 0, 0 if diff > 0 else 1, snap)
        else:
            self._rest(o[0], o[1], -o[3], -1, 1, snap)
            self.orders[oid] = [is_bid, tick, price, size]
            self._rest(is_bid, tick, size, 1, 0, snap)

    def best(self) -> tuple[int | None, int | None]:
        """Best bid and ask tick among levels with positive quantity."""
        bids = [t for (b, t), (qty, _) in self.depth.items() if b and qty > 0]
        asks = [t for (b, t), (qty, _) in self.depth.items() if not b and qty > 0]
        return (max(bids) if bids else None, min(asks) if asks else None)

    def book(self) -> tuple[list[list[int]], list[list[int]]]:
        """(bids, asks) of [price_int, size, count] aggregated from the orders, best first."""
        agg: dict[tuple[int, int], list[int]] = {}
        for is_bid, _, price, qty in self.orders.values():
            e = agg.setdefault((is_bid, price), [0, 0])
            e[0] += qty
            e[1] += 1
        bids = sorted(([p, q, c] for (b, p), (q, c) in agg.items() if b), reverse=True)
        asks = sorted([p, q, c] for (b, p), (q, c) in agg.items() if not b)
        return bids, asks

    # ---- records -----------------------------------------------------------------------------
    def apply(self, rec: Any) -> None:
        """Apply one record (a row of the MBO structured array)."""
        ts, fl = int(rec["ts_event"]), int(rec["flags"])
        snap = bool(fl & F_SNAPSHOT)
        if self.bins_on and not snap:
            while ts >= self.bin_end and self.bin_end <= self.end_ns:
                self._emit()
            if ts >= self.end_ns:
                self.ended = True
                return
        self.counters["maybe_bad_book"] += bool(fl & F_MAYBE_BAD_BOOK)
        if not snap:
            self.now = max(self.now, ts)
            seq = int(rec["sequence"])
            if self.last_seq and seq > self.last_seq + 1:
                self.counters["sequence_gaps"] += 1
            self.last_seq = max(self.last_seq, seq)
        self.event_id += 1
        self._dispatch(rec, snap)
        self.at_last = bool(fl & F_LAST)
        if self.at_last:
            if self.snap and snap:
                self.snap = False
            if not self.snap:
                self.valid = True
        self.last_ts = ts
        if not snap and ts >= self.bin_start:
            self.bin_count += 1

    def _dispatch(self, rec: Any, snap: bool) -> None:
        act, side = rec["action"], rec["side"]
        oid, price, size = int(rec["order_id"]), int(rec["price"]), int(rec["size"])
        if act in (b"A", b"M") and price != UNDEF and side in (b"A", b"B"):
            fn = self._add if act == b"A" else self._modify
            fn(oid, int(side == b"B"), price, size, snap)
        elif act == b"C":
            if oid in self.orders:
                self._remove(oid, size, 1, snap)
            else:
                self.counters["unknown_order"] += 1
        elif act == b"F":
            self.counters["fills"] += 1
            if not snap and price != UNDEF:
                self._impulse(self._tick(price), 2, float(size))
        elif act == b"T":
            self.counters["trades"] += 1
        elif act == b"R":
            self.orders.clear()
            self.depth.clear()
            self.valid = False
            self.snap = snap

    # ---- bins --------------------------------------------------------------------------------
    def _emit(self) -> None:
        t = self.bin_end
        bb, ba = self.best()
        have = bb is not None and ba is not None and bb < ba
        bid_px = bb * self.ti if bb is not None else 0
        ask_px = ba * self.ti if ba is not None else 0
        labels = [0, 0]
        if self.prev is not None and bid_px > 0 and ask_px > 0 and self.prev[0] > 0:
            labels = [
                round((ask_px - self.prev[1]) / self.ti),
                round((bid_px - self.prev[0]) / self.ti),
            ]
        self.prev = (bid_px, ask_px)
        rows = []
        if have:
            assert bb is not None
            assert ba is not None
            centre = (bb + ba) // 2
            for k in range(-self.R, self.R + 1):
                rows.append(self.sample_level(centre + k, t))
        self.bins.append(
            {
                "bin_seq": self.bin_seq,
                "bin_start_ns": self.bin_start,
                "bin_end_ns": t,
                "bin_event_count": self.bin_count,
                "best_bid_price_int": bid_px,
                "best_ask_price_int": ask_px,
                "labels": labels,
                "rows": rows,
                "book_valid": have and self.valid and not self.snap and self.at_last,
            }
        )
        self.bin_seq += 1
        self.bin_start = t
        self.bin_end = t + self.width
        self.bin_count = 0

    def sample_level(self, tick: int, t: int) -> list[float]:
        """The 24 silver floats of an absolute tick at time t (state decayed, not mutated)."""
        lv = self.levels.get(tick, Level())
        mass, vaj = self._advance(lv, t)
        bd = float(self.depth.get((1, tick), [0, 0])[0])
        ad = float(self.depth.get((0, tick), [0, 0])[0])
        out = [*mass, bd + ad, bd, ad]
        for d in range(3):
            add, pull, fill, bid, ask = (vaj[c][d] for c in range(5))
            out += [add, pull, fill, bid + ask, bid, ask]
        return out

    def finish(self) -> None:
        """Emit the remaining bins up to end_ns."""
        while self.bins_on and self.bin_end <= self.end_ns:
            self._emit()


def run_reference(records: Any, tick_int: int, params: Any, **kw: Any) -> ReferenceEngine:
    """Replay records through a fresh reference engine."""
    eng = ReferenceEngine(tick_int, params, **kw)
    for rec in records:
        eng.apply(rec)
        if eng.ended:
            break
    if not eng.ended:
        eng.finish()
    return eng
