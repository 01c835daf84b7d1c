"""Property tests: on random valid MBO streams the numba book equals the reference, depth >= 0."""

from __future__ import annotations

from typing import Any

from engine_reference import ReferenceEngine
from hypothesis import given, settings
from hypothesis import strategies as st
from mbo import TICK, mbo

from qm_engine.engine import Engine
from qm_engine.fields import EngineParams

P = EngineParams(grid_radius_ticks=3, n_absolute_ticks=256)

op = st.tuples(
    st.sampled_from(
        ["add", "add", "cancel", "partial", "modify", "move", "trade", "clear", "bogus"]
    ),
    st.integers(0, 10_000),
    st.booleans(),
    st.integers(-6, 6),
    st.integers(1, 9),
    st.integers(0, 3),
)


def stream(ops: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Turn random choices into a valid Databento-style stream (cancels hit live orders)."""
    live: dict[int, list[int]] = {}
    rows: list[tuple[Any, ...]] = []
    ts, next_id = 0, 1
    for kind, pick, bid, off, size, dt in ops:
        ts += dt
        ids = sorted(live)
        oid = ids[pick % len(ids)] if ids else 0
        if kind == "add" or not ids:
            tick = 100 - abs(off) if bid else 101 + abs(off)
            live[next_id] = [int(bid), tick, size]
            rows.append((ts, "A", "B" if bid else "A", tick, size, next_id))
            next_id += 1
        elif kind in ("cancel", "partial", "trade"):
            is_bid, tick, qty = live[oid]
            amount = qty if kind == "cancel" else min(size, qty)
            side = "B" if is_bid else "A"
            if kind == "trade":
                rows.append((ts, "T", "A" if is_bid else "B", tick, amount, 0, 0))
                rows.append((ts, "F", side, tick, amount, oid, 0))
            rows.append((ts, "C", side, tick, amount, oid))
            live[oid][2] -= amount
            if live[oid][2] == 0:
                del live[oid]
        elif kind in ("modify", "move"):
            is_bid, tick, _ = live[oid]
            if kind == "move":
                tick = 100 - abs(off) if is_bid else 101 + abs(off)
            live[oid] = [is_bid, tick, size]
            rows.append((ts, "M", "B" if is_bid else "A", tick, size, oid))
        elif kind == "clear":
            live.clear()
            rows.append((ts, "R", "N", 0, 0, 0))
        else:
            rows.append((ts, "C", "B", 100, 1, 999_999))  # unknown order: counted, no effect
    return rows


@settings(max_examples=40, deadline=None)
@given(st.lists(op, min_size=1, max_size=120), st.integers(1, 40))
def test_numba_book_equals_reference_and_depth_never_negative(
    ops: list[tuple[Any, ...]], chunk: int
) -> None:
    rec = mbo(stream(ops))
    eng, ref = Engine(TICK, P, order_bits=4), ReferenceEngine(TICK, P)
    for start in range(0, len(rec), chunk):
        part = rec[start : start + chunk]
        eng.feed(part)
        for r in part:
            ref.apply(r)
        assert eng.book() == ref.book()
        assert (eng.lv >= 0).all()
        assert all(q >= 0 for q, _ in ref.depth.values())
    assert eng.counters["unknown_order"] == ref.counters["unknown_order"]
