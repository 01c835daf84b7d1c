"""No look-ahead: peeking signals are rejected, thresholds and walk-forward cuts stay causal."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from qm_research import run_experiment
from qm_research.data import MarketData, load_market_data
from qm_research.evaluate import EvalSettings
from qm_research.signals import Context, SignalDef, register
from qm_research.signals.ml import HgbParams, LogitParams, _hgb, _logit, training_rows
from qm_research.simulate import first_touch_labels

from .conftest import experiment


@dataclass(frozen=True)
class HorizonParams:
    horizon: int = 20


def _peek_future(md: MarketData, p: HorizonParams, ctx: Context) -> np.ndarray:
    """Cheats: the side whose TP the future touch reaches first (the very label traded)."""
    ev = ctx.ev
    tp, sl = ev.tp_ticks * md.tick_int, ev.sl_ticks * md.tick_int
    label, _ = first_touch_labels(md.bid, md.ask, md.valid, tp, sl, ev.max_hold_bins)
    return label.astype(np.float64)


def _past_move(md: MarketData, p: HorizonParams, ctx: Context) -> np.ndarray:
    """Honest twin: the sign of the mid move over the previous `horizon` bins."""
    mid = md.mid
    out = np.full(len(md), np.nan)
    out[p.horizon :] = np.sign(mid[p.horizon :] - mid[: -p.horizon])
    return out


def _full_sample_z(md: MarketData, p: HorizonParams, ctx: Context) -> np.ndarray:
    """Cheats subtly: normalises by the whole series' mean and std (the predecessor's fallback)."""
    x = md.grid("flow_score")[:, md.radius]
    return (x - x.mean()) / x.std()


for name, fn in (
    ("peek_future", _peek_future),
    ("past_move", _past_move),
    ("full_sample_z", _full_sample_z),
):
    register(SignalDef(name, "stat", HorizonParams, ("flow_score",), fn, "abs", (0.5,)))


def _run(lake: Path, out: Path, audit: bool = True) -> dict[str, object]:
    spec = experiment(tp_ticks=[3], sl_ticks=[3], max_hold_bins=200, cooldown_bins=[0])
    outcome = run_experiment(
        spec,
        lake=lake,
        out_dir=out,
        datasets=["ds_a", "ds_b"],
        audit=audit,
        extra_signals={"peek_future": {}, "past_move": {}, "full_sample_z": {}},
    )
    return {(r.run_spec.dataset_id, r.run_spec.signal): r for r in outcome.runs}


def test_peeking_signals_are_rejected_and_score_nothing(lake: Path, tmp_path: Path) -> None:
    runs = _run(lake, tmp_path)
    for ds in ("ds_a", "ds_b"):
        for sig in ("peek_future", "full_sample_z"):
            r = runs[(ds, sig)]
            assert r.status == "failed"
            assert str(r.error).startswith("LookAhead: signal value at bin")
            assert r.thresholds == []
        assert runs[(ds, "past_move")].status == "succeeded"


def test_the_peek_is_real_and_the_honest_twin_is_at_chance(lake: Path, tmp_path: Path) -> None:
    runs = _run(lake, tmp_path, audit=False)  # what the evaluator alone would have reported
    for ds in ("ds_a", "ds_b"):
        cheat = runs[(ds, "peek_future")].thresholds[0]
        honest = runs[(ds, "past_move")].thresholds[0]
        assert cheat["tp_rate"] > 0.75  # future prices make a random walk look predictable
        assert honest["n_signals"] > 30
        assert honest["tp_rate"] < 0.55  # symmetric TP/SL on a random walk, spread paid


def test_training_rows_never_reach_past_the_cut() -> None:
    for cut in range(0, 5000, 137):
        for hold, embargo in ((100, 0), (100, 50), (1200, 30)):
            rows = training_rows(cut, 10, hold, embargo)
            if rows.shape[0]:
                assert rows.min() >= 10
                assert rows.max() + hold < cut - embargo  # the label window ends before the cut


@pytest.mark.parametrize(
    ("fn", "params"),
    [
        (_logit, LogitParams(min_train_bins=300, refit_every_bins=150, embargo_bins=20)),
        (_hgb, HgbParams(min_train_bins=300, refit_every_bins=150, embargo_bins=20, max_iter=10)),
    ],
)
def test_walk_forward_scores_ignore_every_later_price(
    lake: Path, fn: object, params: object
) -> None:
    md = load_market_data(lake, "ds_a", ("v_add", "v_pull"))
    ctx = Context(
        EvalSettings(tp_ticks=3, sl_ticks=3, cooldown_bins=0, max_hold_bins=80, warmup_bins=100)
    )
    cut = 1300
    trend = np.zeros(len(md), np.int64)
    trend[cut:] = np.arange(len(md) - cut) * md.tick_int  # a future the model could exploit
    moved = replace(md, bid=md.bid + trend, ask=md.ask + trend)
    before = fn(md, params, ctx)  # type: ignore[operator]
    after = fn(moved, params, ctx)  # type: ignore[operator]
    assert np.array_equal(before[:cut], after[:cut], equal_nan=True)
    assert np.isfinite(before[:cut]).sum() > 500
    assert not np.array_equal(before[cut:], after[cut:], equal_nan=True)
