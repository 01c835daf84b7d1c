"""Event-time physics: bin-width invariance, same-timestamp accounting, agreement with the
closed-form reference engine, and silver window / label conventions."""

from __future__ import annotations

import math

import numpy as np
from engine_reference import run_reference
from mbo import BASE_TS, TICK, mbo

from qm_engine.engine import BinBlock, Engine
from qm_engine.fields import EngineParams

SEC = 1_000_000_000


def run(records: np.ndarray, params: EngineParams, seconds: int, chunk: int = 5000) -> BinBlock:  # type: ignore[type-arg]
    eng = Engine(TICK, params, start_ns=BASE_TS, end_ns=BASE_TS + seconds * SEC)
    blocks = []
    for i in range(0, len(records), chunk):
        blocks += eng.feed(records[i : i + chunk])
    blocks += eng.finish()
    return BinBlock(
        *(
            np.concatenate([getattr(b, f) for b in blocks])
            for f in ("meta", "labels", "silver_f", "silver_i")
        )
    )


def shifted(records: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    """The synthetic session moved so that it starts at BASE_TS (its snapshot stays first)."""
    out = records.copy()
    out["ts_event"] = out["ts_event"] - out["ts_event"][0] + BASE_TS
    return out


def test_state_is_the_same_for_50ms_and_100ms_bins(synth_records: np.ndarray) -> None:  # type: ignore[type-arg]
    rec = shifted(synth_records)
    p100 = EngineParams(grid_radius_ticks=8, cell_width_ms=100)
    a = run(rec, p100, 60)
    b = run(rec, EngineParams(grid_radius_ticks=8, cell_width_ms=50), 60, chunk=777)
    assert len(a) == 600
    assert len(b) == 1200
    np.testing.assert_array_equal(a.meta[:, 1], b.meta[1::2, 1])  # same sample times
    np.testing.assert_array_equal(a.silver_i, b.silver_i[1::2])
    np.testing.assert_array_equal(a.silver_f, b.silver_f[1::2])  # bit for bit
    assert np.abs(a.silver_f[:, :, 6:]).max() > 0


def test_events_sharing_a_timestamp_all_reach_the_derivatives() -> None:
    p = EngineParams(grid_radius_ticks=2)
    book = [(0, "A", "B", 100, 1, 1), (0, "A", "A", 102, 1, 2)]
    burst = [(SEC // 2, "A", "B", 101, 1, 10 + i, 0) for i in range(5)]
    burst.append((SEC // 2, "A", "B", 101, 1, 20))
    six = run(mbo(book + burst), p, 1)
    one = run(mbo([*book, (SEC // 2, "A", "B", 101, 1, 10)]), p, 1)
    row = 2  # k = 0 is the centre level floor((100 + 102) / 2) = 101
    assert six.silver_i[-1, row, 1] == 101 * TICK
    dt = (six.meta[5, 1] - (BASE_TS + SEC // 2)) / SEC
    v_add = six.silver_f[5, row, 6]
    assert math.isclose(v_add, 6 * 0.5 * math.exp(-0.5 * dt), rel_tol=1e-12)
    assert math.isclose(v_add, 6 * one.silver_f[5, row, 6], rel_tol=1e-12)
    assert math.isclose(six.silver_f[5, row, 0], 6 * math.exp(-dt / 30), rel_tol=1e-12)
    assert six.silver_f[5, row, 4] == 6  # bid_depth
    assert six.silver_f[5, row, 12] > 0  # a_add saw the burst too


def test_numba_silver_matches_closed_form_reference(synth_records: np.ndarray) -> None:  # type: ignore[type-arg]
    rec = shifted(synth_records)[:8000]
    p = EngineParams(grid_radius_ticks=6)
    got = run(rec, p, 15)
    ref = run_reference(rec, TICK, p, start_ns=BASE_TS, end_ns=BASE_TS + 15 * SEC)
    assert len(ref.bins) == len(got) == 150
    for i, b in enumerate(ref.bins):
        assert b["bin_event_count"] == got.meta[i, 4]
        assert (b["best_bid_price_int"], b["best_ask_price_int"]) == tuple(got.meta[i, 6:8])
        assert b["labels"] == list(got.labels[i, :2])
        assert b["book_valid"] == bool(got.meta[i, 11])
        if b["rows"]:
            np.testing.assert_allclose(got.silver_f[i], np.array(b["rows"]), rtol=1e-9, atol=1e-9)


def test_window_is_centred_on_the_touch_and_labels_follow_bbo() -> None:
    p = EngineParams(grid_radius_ticks=3)
    rows = [
        (0, "A", "B", 100, 1, 1),
        (0, "A", "A", 101, 1, 2),
        (SEC // 10 + 1, "A", "B", 101 - 0, 1, 3, 0),
        (SEC // 10 + 1, "C", "A", 101, 1, 2, 0),
        (SEC // 10 + 1, "A", "A", 102, 1, 4),
    ]
    out = run(mbo(rows), p, 1)
    k = out.silver_i[0, :, 0]
    np.testing.assert_array_equal(k, np.arange(-3, 4))
    # 1-tick spread 100/101: k = 0 is the bid, k = +1 the ask (ADR 0100)
    assert out.silver_i[0, 3, 1] == 100 * TICK
    assert out.silver_i[0, 4, 1] == 101 * TICK
    assert out.meta[0, 8] == (100 * TICK + 101 * TICK) // 2  # spot = exact mid
    # next bin: bid and ask both up one tick -> chase up, microstate (2, 2) = 8
    np.testing.assert_array_equal(out.labels[1], [1, 1, 1, 1, 8, 1, 0])
    np.testing.assert_array_equal(out.labels[2], [0, 0, 0, 0, 4, 0, 0])
