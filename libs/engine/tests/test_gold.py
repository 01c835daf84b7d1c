"""Gold kernel: batch == incremental bit for bit; the formulas on hand-made inputs."""

from __future__ import annotations

import numpy as np
from mbo import BASE_TS, TICK

from qm_engine.engine import Engine
from qm_engine.fields import EngineParams
from qm_engine.gold import GoldState, gold_batch, gold_meta

SEC = 1_000_000_000
P = EngineParams(grid_radius_ticks=5, flow_zscore_window_bins=40, flow_zscore_min_periods=10)


def test_batch_and_incremental_gold_are_bit_identical(synth_records: np.ndarray) -> None:  # type: ignore[type-arg]
    rec = synth_records.copy()
    rec["ts_event"] = rec["ts_event"] - rec["ts_event"][0] + BASE_TS
    end = BASE_TS + 30 * SEC
    # serving path: records arrive in small batches, gold is stepped per closed bin
    eng = Engine(TICK, P, start_ns=BASE_TS, end_ns=end, out_capacity=7)
    state = GoldState(P, 11, TICK)
    live, blocks = [], []
    for i in range(0, len(rec), 333):
        for blk in eng.feed(rec[i : i + 333]):
            blocks.append(blk)
            meta = gold_meta(blk.meta, blk.labels)
            live += [
                state.step(meta[b], blk.silver_f[b], blk.silver_i[b, :, 1]) for b in range(len(blk))
            ]
        if eng.ended:
            break
    # batch path: the whole dataset at once
    meta = np.concatenate([gold_meta(b.meta, b.labels) for b in blocks])
    sf = np.concatenate([b.silver_f for b in blocks])
    price = np.concatenate([b.silver_i[:, :, 1] for b in blocks])
    batch = gold_batch(P, TICK, meta, sf, price)
    assert batch.shape == (300, 11, 9)
    np.testing.assert_array_equal(np.stack(live), batch)
    assert np.abs(batch[:, :, 3]).max() > 0  # composite_d1 is live
    assert (batch[:, :, 8] != 0).any()  # some flow states fire


def test_forces_composite_and_state5_by_hand() -> None:
    p = EngineParams(grid_radius_ticks=1, flow_windows=(1,), flow_rollup_weights=(1.0,))
    state = GoldState(p, 3, TICK)
    sf = np.zeros((3, 24))
    sf[:, 6] = 2.0  # v_add
    sf[:, 7] = 1.0  # v_pull
    sf[:, 9] = -4.0  # v_rest_depth
    price = np.array([99, 100, 101]) * TICK
    meta = np.array([0, 1, 100 * TICK, 101 * TICK, 1, 1])  # ask up, bid up
    out = state.step(meta, sf, price)
    pres, vac = 2.0, 1.0 + 0.5 * 4.0
    np.testing.assert_allclose(out[:, 0], pres)
    np.testing.assert_allclose(out[:, 1], vac)
    np.testing.assert_allclose(out[:, 2], (pres - vac) / (pres + vac + 1e-12))
    # (ask +1, bid +1): below the mid -> bull pressure 1; above -> bull vacuum 2
    np.testing.assert_array_equal(out[:, 6], [1, 1, 2])
    second = state.step(np.array([1, 1, 100 * TICK, 101 * TICK, 0, 0]), sf * 2, price)
    np.testing.assert_allclose(second[:, 3], 0.0, atol=1e-12)  # same composite -> d1 = 0
    np.testing.assert_array_equal(second[:, 6], [0, 0, 0])


def test_level_history_restarts_after_leaving_the_window() -> None:
    state = GoldState(P, 1, TICK)
    sf = np.zeros((1, 24))
    sf[0, 6] = 1.0
    for b in range(3):
        state.step(
            np.array([b, 1, 99 * TICK, 101 * TICK, 0, 0]), sf * (b + 1), np.array([100 * TICK])
        )
    gap = state.step(np.array([5, 1, 99 * TICK, 101 * TICK, 0, 0]), sf, np.array([100 * TICK]))
    assert gap[0, 3] == 0.0  # fresh history: no derivative across the gap
