"""The catalogue: every signal is causal and produces values; params bind strictly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qm_research.data import MarketData, load_market_data
from qm_research.errors import InvalidParam
from qm_research.evaluate import EvalSettings
from qm_research.execute import compute_score
from qm_research.expansion import RunSpec
from qm_research.signals import REGISTRY, Context, bind_params, get_signal
from qm_research.signals.ml import LogitParams
from qm_research.signals.stat_flow import DerivativeParams, derivative_base

CATALOGUE = [
    "derivative",
    "flow_score",
    "ads",
    "pfp",
    "iirc",
    "msd",
    "spg",
    "erd",
    "jad",
    "ml_logit",
    "ml_hgb",
]
FAST = {
    "ml_logit": {"min_train_bins": 400, "refit_every_bins": 300},
    "ml_hgb": {"min_train_bins": 400, "refit_every_bins": 300, "max_iter": 10},
}


@pytest.fixture(scope="module")
def md(lake: Path) -> MarketData:
    cols = sorted({c for n in CATALOGUE for c in get_signal(n).columns})
    return load_market_data(lake, "ds_a", cols)


@pytest.mark.parametrize("name", CATALOGUE)
def test_signal_is_causal_and_mostly_defined(md: MarketData, name: str) -> None:
    rs = RunSpec(
        "x", 0, "ds_a", name, FAST.get(name, {}), 4, 4, 10, max_hold_bins=100, warmup_bins=100
    )
    ev = EvalSettings(4, 4, 10, 100, 100)
    score, sig = compute_score(rs, md, Context(ev), audit=True)  # raises LookAhead if not
    tail = score[len(md) // 2 :]
    assert np.isfinite(tail).mean() > 0.9
    assert np.nanstd(tail) > 0
    assert sig.name in REGISTRY


def test_catalogue_is_complete() -> None:
    assert set(CATALOGUE) <= set(REGISTRY)
    assert {REGISTRY[n].family for n in ("ml_logit", "ml_hgb")} == {"ml"}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"zscore_window_bins": True}, "must be an integer"),
        ({"zscore_window_bins": 2.5}, "must be an integer"),
        ({"tanh_scale": "3"}, "must be a finite number"),
        ({"tanh_scale": float("nan")}, "must be a finite number"),
        ({"d1_weight": 0.0}, "positive sum"),
        ({"zscore_window": 10}, "unknown parameter"),
    ],
)
def test_bad_params_are_errors_not_defaults(given: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParam, match=message):
        bind_params(DerivativeParams, given)


def test_inherited_walk_forward_params_bind_and_check() -> None:
    assert bind_params(LogitParams, {"embargo_bins": 7, "c": 2}).c == 2.0
    with pytest.raises(InvalidParam, match="embargo_bins"):
        bind_params(LogitParams, {"embargo_bins": -1})


def test_derivative_base_weights_state_intensities_over_k(md: MarketData) -> None:
    row = np.array([[1, 1, 0, -1, 2]], dtype=np.float64)  # k = -2..2
    tiny = replace(md.prefix(1), radius=2, grids={"state5_code": row})
    base = derivative_base(tiny, DerivativeParams())  # k = 0 excluded, 1/4 weight elsewhere
    assert base.tolist() == [0.5]  # bull 0.5 + 0.25, bear 0.25
    flat = replace(tiny, grids={"state5_code": np.array([[1.0, 1.0, 0.0, -1.0, 0.0]])})
    mixed = derivative_base(flat, DerivativeParams(mixed=2.0))
    assert mixed.tolist() == [0.125]  # (0.5 - 0.25) * (1 - 2 * I0), I0 = 0.25 from k = 2
    decayed = derivative_base(tiny, DerivativeParams(spatial_decay_power=1.0))
    assert decayed.tolist() == pytest.approx([(1 / 2 + 1 + 1 / 2 - 1) / 3])
