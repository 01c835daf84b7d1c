"""The synthetic order-flow state machine: a small L3 book that emits Databento-style MBO rows."""

from __future__ import annotations

import random
from dataclasses import dataclass

F_LAST = 128
F_SNAPSHOT = 32
BID, ASK = 66, 65  # ord("B"), ord("A")
ADD, CANCEL, MODIFY, CLEAR, TRADE, FILL = 65, 67, 77, 82, 84, 70
NO_SIDE = 78

# one output row: ts_event, order_id, price_tick, size, flags, action, side, sequence
Row = tuple[int, int, int, int, int, int, int, int]


@dataclass
class FlowConfig:
    """Knobs of the synthetic flow (probabilities per event group)."""

    p_add: float = 0.42
    p_cancel: float = 0.30
    p_modify: float = 0.14
    p_trade: float = 0.14
    p_burst: float = 0.15
    quiet_gaps_per_minute: float = 1.0
    p_far_order: float = 0.00002
    far_ticks: int = 6000
    book_levels: int = 10


class FlowBook:
    """Live orders and levels; every method appends the MBO rows Databento would emit."""

    def __init__(self, rng: random.Random, mid_tick: int, cfg: FlowConfig) -> None:
        self.rng = rng
        self.cfg = cfg
        self.orders: dict[int, list[int]] = {}  # id -> [side, tick, qty]
        self.levels: dict[tuple[int, int], list[int]] = {}
        self.live: list[int] = []
        self.pos: dict[int, int] = {}
        self.next_id = 1_000_001
        self.best = {BID: mid_tick - 1, ASK: mid_tick}
        self.pressure = 0.0

    # --- book bookkeeping -------------------------------------------------------------------
    def _insert(self, side: int, tick: int, qty: int, oid: int = 0) -> int:
        if oid == 0:
            oid = self.next_id
            self.next_id += 1 + self.rng.randrange(3)
        self.orders[oid] = [side, tick, qty]
        self.levels.setdefault((side, tick), []).append(oid)
        self.pos[oid] = len(self.live)
        self.live.append(oid)
        if (side == BID and tick > self.best[BID]) or (side == ASK and tick < self.best[ASK]):
            self.best[side] = tick
        return oid

    def _remove(self, oid: int) -> None:
        side, tick, _ = self.orders.pop(oid)
        lvl = self.levels[(side, tick)]
        lvl.remove(oid)
        if not lvl:
            del self.levels[(side, tick)]
            if tick == self.best[side]:
                self._rescan(side)
        i = self.pos.pop(oid)
        last = self.live.pop()
        if last != oid:
            self.live[i] = last
            self.pos[last] = i

    def _rescan(self, side: int) -> None:
        ticks = [t for (s, t) in self.levels if s == side and abs(t - self.best[side]) < 1000]
        if ticks:
            self.best[side] = max(ticks) if side == BID else min(ticks)
        elif side == BID:
            self.best[BID] = self.best[ASK] - 1
        else:
            self.best[ASK] = self.best[BID] + 1

    def _place_tick(self, side: int) -> int:
        depth = min(int(self.rng.expovariate(0.35)), 40)
        if self.best[ASK] - self.best[BID] > 1 and self.rng.random() < 0.5 + 0.4 * self.pressure:
            depth = -1  # improve inside the spread
        tick = self.best[side] - depth if side == BID else self.best[side] + depth
        if side == BID:
            return min(tick, self.best[ASK] - 1)
        return max(tick, self.best[BID] + 1)

    # --- event groups -------------------------------------------------------------------------
    def add(self, ts: int, out: list[Row], flags: int = F_LAST) -> None:
        """A new resting order near the touch (rarely far out of range)."""
        side = BID if self.rng.random() < 0.5 + 0.1 * self.pressure else ASK
        tick = self._place_tick(side)
        if self.rng.random() < self.cfg.p_far_order:
            tick += self.cfg.far_ticks if side == ASK else -self.cfg.far_ticks
        qty = 1 + int(self.rng.expovariate(0.3))
        oid = self._insert(side, tick, qty)
        out.append((ts, oid, tick, qty, flags, ADD, side, 0))

    def cancel(self, ts: int, out: list[Row]) -> None:
        """A full or partial cancel of a random live order."""
        if not self.live:
            self.add(ts, out)
            return
        oid = self.live[self.rng.randrange(len(self.live))]
        side, tick, qty = self.orders[oid]
        if qty > 1 and self.rng.random() < 0.25:
            part = self.rng.randrange(1, qty)
            self.orders[oid][2] = qty - part
            out.append((ts, oid, tick, part, F_LAST, CANCEL, side, 0))
            return
        self._remove(oid)
        out.append((ts, oid, tick, qty, F_LAST, CANCEL, side, 0))

    def modify(self, ts: int, out: list[Row]) -> None:
        """Size up/down or a price change of a random live order."""
        if not self.live:
            self.add(ts, out)
            return
        oid = self.live[self.rng.randrange(len(self.live))]
        side, tick, qty = self.orders[oid]
        if self.rng.random() < 0.5:
            new_qty = max(1, qty + self.rng.choice((-2, -1, 1, 2, 3)))
            self.orders[oid][2] = new_qty
            out.append((ts, oid, tick, new_qty, F_LAST, MODIFY, side, 0))
            return
        self._remove(oid)
        new_tick = self._place_tick(side)
        self._insert(side, new_tick, qty, oid)
        out.append((ts, oid, new_tick, qty, F_LAST, MODIFY, side, 0))

    def trade(self, ts: int, out: list[Row]) -> None:
        """An aggressor hits the opposite touch: T, then F and C per resting order filled."""
        buy = self.rng.random() < 0.5 + 0.3 * self.pressure
        rest_side = ASK if buy else BID
        lvl = self.levels.get((rest_side, self.best[rest_side]))
        if not lvl:
            self.add(ts, out)
            return
        total = sum(self.orders[o][2] for o in lvl)
        want = min(total, 1 + int(self.rng.expovariate(0.25)))
        tick = self.best[rest_side]
        out.append((ts, 0, tick, want, 0, TRADE, BID if buy else ASK, 0))
        fills: list[tuple[int, int]] = []
        for oid in list(lvl):
            if want == 0:
                break
            take = min(want, self.orders[oid][2])
            want -= take
            fills.append((oid, take))
        out.extend((ts, oid, tick, take, 0, FILL, rest_side, 0) for oid, take in fills)
        for i, (oid, take) in enumerate(fills):
            flags = F_LAST if i == len(fills) - 1 else 0
            out.append((ts, oid, tick, take, flags, CANCEL, rest_side, 0))
            self.orders[oid][2] -= take
            if self.orders[oid][2] == 0:
                self._remove(oid)

    def clear(self, ts: int, out: list[Row], snapshot: bool) -> None:
        """Empty the book (a Clear), then rebuild it around the current touch."""
        bb, ba = self.best[BID], self.best[ASK]
        for oid in list(self.live):
            self._remove(oid)
        self.best = {BID: bb, ASK: ba}
        out.append((ts, 0, 0, 0, F_SNAPSHOT if snapshot else F_LAST, CLEAR, NO_SIDE, 0))
        flag = F_SNAPSHOT if snapshot else F_LAST
        for depth in range(self.cfg.book_levels):
            for side, tick in ((BID, bb - depth), (ASK, ba + depth)):
                for _ in range(1 + self.rng.randrange(4)):
                    qty = 1 + self.rng.randrange(20)
                    oid = self._insert(side, tick, qty)
                    entry = ts - self.rng.randrange(1, 3_600_000_000_000) if snapshot else ts
                    out.append((entry, oid, tick, qty, flag, ADD, side, 0))
        if snapshot:
            last = out[-1]
            out[-1] = (*last[:4], F_SNAPSHOT | F_LAST, *last[5:])
