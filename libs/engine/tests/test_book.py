"""Book conformance: numba engine == reference engine == hand-computed book after every F_LAST."""

from __future__ import annotations

from typing import Any

import pytest
from engine_reference import ReferenceEngine
from mbo import SNAP, SNAP_LAST, TICK, mbo

from qm_engine.engine import Engine
from qm_engine.fields import EngineParams

P = EngineParams(grid_radius_ticks=5)


def replay(rows: list[tuple[Any, ...]]) -> tuple[Engine, ReferenceEngine]:
    """Feed records one at a time to both engines, checking they agree after every F_LAST."""
    rec = mbo(rows)
    eng, ref = Engine(TICK, P), ReferenceEngine(TICK, P)
    for i in range(len(rec)):
        eng.feed(rec[i : i + 1])
        ref.apply(rec[i])
        if rec["flags"][i] & 128:
            assert eng.book() == ref.book(), f"diverged after record {i}"
    return eng, ref


def px(ticks: int) -> int:
    return ticks * TICK


def test_partial_cancel_removes_only_its_size() -> None:
    eng, _ = replay([(0, "A", "B", 100, 10, 1), (1, "A", "B", 100, 2, 2), (2, "C", "B", 100, 3, 1)])
    assert eng.book() == ([[px(100), 9, 2]], [])


def test_full_cancel_removes_order_and_level() -> None:
    eng, _ = replay([(0, "A", "A", 101, 5, 1), (1, "A", "A", 102, 1, 2), (2, "C", "A", 101, 5, 1)])
    assert eng.book() == ([], [[px(102), 1, 1]])
    assert eng.best_prices() == (0, px(102))


def test_fill_and_cancel_pair_reduce_once() -> None:
    # Databento: T and F do not change the book; the matching C does (10 - 3 = 7, not 5 or 12)
    rows = [
        (0, "A", "A", 101, 10, 1),
        (5, "T", "B", 101, 3, 0, 0),
        (5, "F", "A", 101, 3, 1, 0),
        (5, "C", "A", 101, 3, 1),
    ]
    eng, _ = replay(rows)
    assert eng.book() == ([], [[px(101), 7, 1]])
    assert eng.counters["trades"] == 1
    assert eng.counters["fills"] == 1


def test_modify_up_down_and_price_change() -> None:
    base = [(0, "A", "B", 100, 10, 1), (1, "A", "B", 99, 4, 2)]
    eng, _ = replay([*base, (2, "M", "B", 100, 12, 1)])
    assert eng.book()[0] == [[px(100), 12, 1], [px(99), 4, 1]]
    eng, _ = replay([*base, (2, "M", "B", 100, 3, 1)])
    assert eng.book()[0] == [[px(100), 3, 1], [px(99), 4, 1]]
    eng, _ = replay([*base, (2, "M", "B", 99, 6, 1)])
    assert eng.book()[0] == [[px(99), 10, 2]]
    assert eng.best_prices()[0] == px(99)


def test_modify_of_unknown_order_adds_it() -> None:
    eng, _ = replay([(0, "M", "A", 103, 2, 9)])
    assert eng.book() == ([], [[px(103), 2, 1]])


def test_clear_empties_then_book_rebuilds() -> None:
    rows = [
        (0, "A", "B", 100, 1, 1),
        (1, "A", "A", 101, 1, 2),
        (2, "R", "N", 0, 0, 0),
        (3, "A", "B", 98, 2, 3),
    ]
    eng, _ = replay(rows)
    assert eng.book() == ([[px(98), 2, 1]], [])
    assert eng.counters["unknown_order"] == 0


def test_snapshot_builds_book_and_completes_at_f_last() -> None:
    rows = [
        (10, "R", "N", 0, 0, 0, SNAP),
        (-99_000, "A", "B", 100, 5, 1, SNAP),  # snapshot records carry old entry times
        (-98_000, "A", "A", 101, 6, 2, SNAP),
        (-97_000, "A", "A", 102, 7, 3, SNAP_LAST),
        (20, "C", "A", 101, 6, 2),
    ]
    rec = mbo(rows)
    eng = Engine(TICK, P)
    eng.feed(rec[:3])
    assert eng.st[7] == 0  # book not valid mid-snapshot
    eng.feed(rec[3:4])
    assert eng.st[7] == 1
    eng.feed(rec[4:])
    assert eng.book() == ([[px(100), 5, 1]], [[px(102), 7, 1]])


def test_events_sharing_a_timestamp_all_apply() -> None:
    rows = [(7, "A", "B", 100, 1, i, 0) for i in range(1, 6)] + [(7, "A", "B", 100, 1, 6)]
    eng, _ = replay(rows)
    assert eng.book() == ([[px(100), 6, 6]], [])


def test_out_of_range_order_is_counted_and_kept() -> None:
    far = 100 + P.n_absolute_ticks
    rows = [(0, "A", "B", 100, 1, 1), (1, "A", "A", far, 2, 2), (2, "A", "A", 101, 1, 3)]
    eng, _ = replay(rows)
    assert eng.counters["out_of_range"] == 1
    assert eng.book()[1] == [[px(101), 1, 1], [px(far), 2, 1]]
    assert eng.best_prices() == (px(100), px(101))
    eng.feed(mbo([(3, "C", "A", far, 2, 2)]))
    assert eng.counters["out_of_range"] == 2
    assert eng.book()[1] == [[px(101), 1, 1]]


def test_unknown_cancel_and_bad_book_flags_are_counted() -> None:
    rows = [(0, "A", "B", 100, 1, 1), (1, "C", "B", 100, 1, 42), (2, "A", "B", 99, 1, 2, 128 | 4)]
    eng, _ = replay(rows)
    assert eng.counters["unknown_order"] == 1
    assert eng.counters["maybe_bad_book"] == 1


def test_sequence_gaps_are_counted() -> None:
    rec = mbo([(0, "A", "B", 100, 1, 1), (1, "A", "B", 100, 1, 2), (2, "A", "B", 100, 1, 3)])
    rec["sequence"] = [10, 11, 15]
    eng = Engine(TICK, P)
    eng.feed(rec)
    assert eng.counters["sequence_gaps"] == 1


@pytest.mark.parametrize("bits", [4, 16])
def test_order_table_grows_without_losing_orders(bits: int) -> None:
    rows = [
        (i, "A", "B" if i % 2 else "A", 100 - i % 7 if i % 2 else 101 + i % 7, 1, i + 1)
        for i in range(200)
    ]
    rec = mbo(rows)
    eng = Engine(TICK, P, order_bits=bits)
    eng.feed(rec)
    ref = ReferenceEngine(TICK, P)
    for r in rec:
        ref.apply(r)
    assert eng.book() == ref.book()
