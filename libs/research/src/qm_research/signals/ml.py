"""ML signals: causal features, first-touch labels from the run's own TP/SL, purged walk-forward.

At every cut c (every `refit_every_bins` after `min_train_bins`) a model is fitted on rows whose
label window ends before the cut minus an embargo (i + max_hold_bins < c - embargo_bins) and
predicts the next block [c, c + refit). No label used for training looks past its cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from qm_research.data import MarketData
from qm_research.errors import Cancelled
from qm_research.kernels import rolling_mean, rolling_ols_slope
from qm_research.signals.bands import side_mean
from qm_research.signals.base import Context, SignalDef, register, require
from qm_research.simulate import first_touch_labels

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
ML_COLUMNS = ("v_add", "v_pull")
BANDS = ((1, 3), (4, 11), (12, 23))


def features(md: MarketData) -> F64:
    """Causal per-bin features: band asymmetries, their trend, past returns, spread."""
    cols = []
    for lo, hi in BANDS:
        add_b, add_a = side_mean(md, "v_add", lo, hi)
        pull_b, pull_a = side_mean(md, "v_pull", lo, hi)
        cols += [add_b - add_a, pull_a - pull_b]
    combined = np.sum(cols, axis=0)
    cols += [rolling_mean(combined, 50), rolling_ols_slope(combined, 50)]
    mid = md.mid / md.tick_int
    for h in (1, 10, 50):
        ret = np.full(len(md), np.nan)
        ret[h:] = mid[h:] - mid[:-h]
        cols.append(ret)
    cols.append((md.ask - md.bid) / md.tick_int)
    return np.nan_to_num(np.column_stack(cols), nan=0.0, posinf=0.0, neginf=0.0)


def training_rows(cut: int, start: int, hold: int, embargo: int) -> I64:
    """Rows a model fitted at `cut` may learn from: their label window ends before the embargo."""
    return np.arange(start, max(start, cut - embargo - hold), dtype=np.int64)


@dataclass(frozen=True)
class WalkForward:
    """The walk-forward schedule shared by the ML signals."""

    min_train_bins: int = 1200
    refit_every_bins: int = 600
    embargo_bins: int = 50

    def check_schedule(self) -> None:
        """Positive training span and refit period, non-negative embargo."""
        require(self.min_train_bins >= 50, "min_train_bins must be >= 50")
        require(self.refit_every_bins >= 1, "refit_every_bins must be >= 1")
        require(self.embargo_bins >= 0, "embargo_bins must be >= 0")


def walk_forward(
    md: MarketData, ctx: Context, wf: WalkForward, make_model: Callable[[], Any]
) -> F64:
    """Out-of-sample P(up) - P(down) per bin; NaN where no model was fitted yet."""
    ev = ctx.ev
    x = features(md)
    tp, sl = ev.tp_ticks * md.tick_int, ev.sl_ticks * md.tick_int
    y, _ = first_touch_labels(md.bid, md.ask, md.valid, tp, sl, ev.max_hold_bins)
    out = np.full(len(md), np.nan)
    for cut in range(ev.warmup_bins + wf.min_train_bins, len(md), wf.refit_every_bins):
        if ctx.is_cancelled():
            raise Cancelled("cancelled during walk-forward training")
        rows = training_rows(cut, ev.warmup_bins, ev.max_hold_bins, wf.embargo_bins)
        rows = rows[y[rows] != 0]
        if np.unique(y[rows]).shape[0] < 2:
            continue  # one class only: no model, no prediction for this block (NaN, not a guess)
        block = slice(cut, min(cut + wf.refit_every_bins, len(md)))
        # one thread: runs already execute in parallel processes on shared cores
        with threadpool_limits(1):
            model = make_model().fit(x[rows], y[rows])
            proba = model.predict_proba(x[block])
        classes = list(model.classes_)
        out[block] = proba[:, classes.index(1)] - proba[:, classes.index(-1)]
    return out


@dataclass(frozen=True)
class LogitParams(WalkForward):
    """Logistic regression on standardised features."""

    c: float = 1.0

    def check(self) -> None:
        """Schedule checks plus C > 0."""
        self.check_schedule()
        require(self.c > 0, "c must be > 0")


@dataclass(frozen=True)
class HgbParams(WalkForward):
    """Histogram gradient boosting (fixed iterations, no early stopping: deterministic)."""

    max_iter: int = 50
    max_depth: int = 3
    learning_rate: float = 0.1

    def check(self) -> None:
        """Schedule checks plus positive iterations, depth and rate."""
        self.check_schedule()
        require(self.max_iter >= 1 and self.max_depth >= 1, "max_iter, max_depth must be >= 1")
        require(0 < self.learning_rate <= 1, "learning_rate must be in (0, 1]")


def _logit(md: MarketData, p: LogitParams, ctx: Context) -> F64:
    return walk_forward(
        md, ctx, p, lambda: make_pipeline(StandardScaler(), LogisticRegression(C=p.c, max_iter=500))
    )


def _hgb(md: MarketData, p: HgbParams, ctx: Context) -> F64:
    def model() -> Any:
        return HistGradientBoostingClassifier(
            max_iter=p.max_iter,
            max_depth=p.max_depth,
            learning_rate=p.learning_rate,
            early_stopping=False,
            random_state=0,
        )

    return walk_forward(md, ctx, p, model)


ML_LEVELS = (0.05, 0.1, 0.2, 0.3, 0.4)
register(SignalDef("ml_logit", "ml", LogitParams, ML_COLUMNS, _logit, "abs", ML_LEVELS))
register(SignalDef("ml_hgb", "ml", HgbParams, ML_COLUMNS, _hgb, "abs", ML_LEVELS))
