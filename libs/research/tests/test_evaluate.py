"""The evaluator on hand-made bin tables: touch fills, costs, TP/SL order, cooldown, positions."""

from __future__ import annotations

import numpy as np
import pytest

from qm_research.data import MarketData
from qm_research.evaluate import EvalSettings, causal_thresholds, evaluate, states, trade

TICK = 250_000_000  # 0.25 in 1e-9 price units


def _md(
    bid_ticks: list[int], spread: int = 1, extremes: dict[str, list[int]] | None = None
) -> MarketData:
    bid = np.array(bid_ticks, dtype=np.int64) * TICK
    n = bid.shape[0]
    ext = (
        None if extremes is None else {k: np.array(v, np.int64) * TICK for k, v in extremes.items()}
    )
    return MarketData(
        dataset_id="hand",
        ts_ns=np.arange(1, n + 1, dtype=np.int64) * 100_000_000,
        bid=bid,
        ask=bid + spread * TICK,
        valid=np.ones(n, bool),
        tick_int=TICK,
        radius=0,
        cell_width_ms=100,
        extremes=ext,
    )


def _ev(**kw: object) -> EvalSettings:
    base = {"tp_ticks": 2, "sl_ticks": 2, "cooldown_bins": 0, "max_hold_bins": 10, "warmup_bins": 0}
    base.update(kw)
    return EvalSettings(**base)  # type: ignore[arg-type]


def _one(state_at: dict[int, int], n: int) -> np.ndarray:
    s = np.zeros(n, np.int8)
    for i, v in state_at.items():
        s[i] = v
    return s


def test_long_buys_the_ask_and_takes_profit_at_the_limit() -> None:
    md = _md([100, 100, 101, 102, 103, 103])  # ask = bid + 1: entry at 101, TP level 103
    t = trade(_one({0: 1}, 6), md, _ev())
    assert t.outcome.tolist() == [1]
    assert t.exit_idx.tolist() == [4]  # bid reaches 103 at bin 4, not at bin 3 (mid would)
    assert t.pnl_ticks.tolist() == [2.0]


def test_cost_in_ticks_is_subtracted_per_trade() -> None:
    md = _md([100, 100, 101, 102, 103, 103])
    t = trade(_one({0: 1}, 6), md, _ev(cost_ticks=0.75))
    assert t.pnl_ticks.tolist() == [2.0 - 0.75]


def test_timeout_pays_the_spread_at_the_touch() -> None:
    md = _md([100] * 8, spread=2)  # flat book: a mid fill would show 0, the touch shows -2
    t = trade(_one({0: 1, 3: -1}, 8), md, _ev(max_hold_bins=3, sl_ticks=5))
    assert t.outcome.tolist() == [0, 0]
    assert t.pnl_ticks.tolist() == [-2.0, -2.0]


def test_stop_fills_at_the_touch_that_crossed_it() -> None:
    md = _md([100, 100, 100, 96, 96])  # long entry at ask 101, SL level 99, bid gaps to 96
    t = trade(_one({0: 1}, 5), md, _ev())
    assert t.outcome.tolist() == [-1]
    assert t.pnl_ticks.tolist() == [-5.0]  # 96 - 101: the gap is paid, not capped at -2


def test_short_sells_the_bid_and_buys_back_at_the_ask() -> None:
    md = _md([100, 99, 98, 97, 97])  # entry at bid 100, TP level 98 needs the ask at 98
    t = trade(_one({0: -1}, 5), md, _ev())
    assert t.outcome.tolist() == [1]
    assert t.exit_idx.tolist() == [3]
    assert t.pnl_ticks.tolist() == [2.0]


def test_both_levels_inside_one_bin_resolve_to_the_loss() -> None:
    bids = [100, 100, 100]
    ext = {
        "best_bid_high_price_int": [100, 100, 104],
        "best_bid_low_price_int": [100, 100, 97],
        "best_ask_high_price_int": [101, 101, 105],
        "best_ask_low_price_int": [101, 101, 98],
    }
    t = trade(_one({0: 1}, 3), _md(bids, extremes=ext), _ev())
    assert t.outcome.tolist() == [-1]
    assert t.pnl_ticks.tolist() == [-2.0]


def test_only_one_level_inside_a_bin_is_unambiguous() -> None:
    bids = [100, 100, 100]
    ext = {
        "best_bid_high_price_int": [100, 100, 104],
        "best_bid_low_price_int": [100, 100, 100],
        "best_ask_high_price_int": [101, 101, 105],
        "best_ask_low_price_int": [101, 101, 101],
    }
    t = trade(_one({0: 1}, 3), _md(bids, extremes=ext), _ev())
    assert t.outcome.tolist() == [1]


def test_cooldown_and_state_change_gate_the_fires() -> None:
    md = _md([100] * 12)
    s = np.array([1, 1, 0, 1, 0, 1, 0, 0, 0, 1, -1, -1], np.int8)
    assert trade(s, md, _ev(cooldown_bins=0)).idx.tolist() == [0, 3, 5, 9, 10]
    assert trade(s, md, _ev(cooldown_bins=4)).idx.tolist() == [0, 5, 9]


def test_one_position_at_a_time_skips_signals_while_a_trade_is_open() -> None:
    md = _md([100] * 12)
    s = np.array([1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0], np.int8)
    overlap = trade(s, md, _ev(max_hold_bins=5, one_position=False)).idx.tolist()
    single = trade(s, md, _ev(max_hold_bins=5, one_position=True)).idx.tolist()
    assert overlap == [0, 2, 4, 10]
    assert single == [0, 10]  # the first trade times out at bin 5


def test_warmup_excluded_from_detection_and_from_events_per_hour() -> None:
    md = _md([100] * 37)  # 100 ms bins
    score = np.zeros(37)
    score[[2, 20]] = 1.0
    rows = evaluate(
        score, md, _ev(warmup_bins=10, max_hold_bins=3, oos_fraction=0.0), kind="abs", levels=[0.5]
    )
    assert rows[0]["n_signals"] == 1
    hours = (md.ts_ns[-1] - md.ts_ns[10]) / 3.6e12
    assert rows[0]["events_per_hour"] == pytest.approx(1 / hours)


def test_causal_thresholds_ignore_the_future() -> None:
    rng = np.random.default_rng(0)
    score = rng.normal(size=1000)
    cuts = causal_thresholds(score, [0.9], start=0, refresh=100, min_history=100)
    shocked = score.copy()
    shocked[500:] *= 100.0
    after = causal_thresholds(shocked, [0.9], start=0, refresh=100, min_history=100)
    assert np.array_equal(cuts[:, :501], after[:, :501])  # the block at 500 sees bins < 500
    assert np.isinf(cuts[0, :100]).all()
    assert cuts[0, 100] == pytest.approx(np.quantile(np.abs(score[:100]), 0.9))


def test_states_are_flat_on_nan_and_invalid_books() -> None:
    score = np.array([np.nan, 1.0, -1.0, 1.0])
    valid = np.array([True, True, True, False])
    assert states(score, 0.5, valid).tolist() == [0, 1, -1, 0]
