"""Evaluation without look-ahead: causal thresholds, touch fills, costs, per-threshold metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from qm_research.data import EXTREME_COLUMNS, MarketData
from qm_research.errors import Cancelled
from qm_research.simulate import simulate

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
ThresholdKind = Literal["abs", "quantile"]


@dataclass(frozen=True)
class EvalSettings:
    """Everything the evaluator needs besides the signal: targets, timing, costs, split."""

    tp_ticks: int
    sl_ticks: int
    cooldown_bins: int
    max_hold_bins: int
    warmup_bins: int
    cost_ticks: float = 0.0
    one_position: bool = False
    oos_fraction: float = 0.3
    min_signals: int = 5
    threshold_refresh_bins: int = 100
    threshold_min_history: int = 200


@dataclass(frozen=True)
class Trades:
    """Simulated trades of one threshold (parallel arrays)."""

    idx: I64
    direction: I64
    outcome: I64
    exit_idx: I64
    pnl_ticks: F64


def causal_thresholds(
    score: F64, levels: Sequence[float], start: int, refresh: int, min_history: int
) -> F64:
    """Per-bin cut-offs: the quantile of |score| over [start, b) for the block b belongs to.

    Blocks are `refresh` bins long; a block only sees bins strictly before its first bin, so
    no cut-off depends on the bin it is applied to or any later one. Until `min_history`
    finite values exist the cut-off is +inf (no signal).
    """
    n = score.shape[0]
    out = np.full((len(levels), n), np.inf)
    mag = np.abs(score)
    for b in range(start, n, refresh):
        past = mag[start:b]
        past = past[np.isfinite(past)]
        if past.shape[0] >= min_history:
            out[:, b : b + refresh] = np.quantile(past, list(levels))[:, None]
    return out


def states(score: F64, cut: F64 | float, valid: npt.NDArray[np.bool_]) -> npt.NDArray[np.int8]:
    """+1 where score >= cut, -1 where score <= -cut, else 0 (NaN and invalid books are flat)."""
    up = (score >= cut) & valid
    down = (score <= -np.asarray(cut)) & valid
    return (up.astype(np.int8) - down.astype(np.int8)).astype(np.int8)


def trade(state: npt.NDArray[np.int8], md: MarketData, ev: EvalSettings) -> Trades:
    """Simulate the trades of one state series under the evaluation settings."""
    has_ext = md.extremes is not None
    ext = (
        np.stack([md.extremes[k] for k in EXTREME_COLUMNS], axis=1)
        if md.extremes is not None
        else np.zeros((1, 4), np.int64)
    )
    idx, d, kind, ex, pnl = simulate(
        state,
        md.bid,
        md.ask,
        md.valid,
        ev.warmup_bins,
        ev.cooldown_bins,
        ev.tp_ticks * md.tick_int,
        ev.sl_ticks * md.tick_int,
        ev.max_hold_bins,
        ev.one_position,
        np.ascontiguousarray(ext),
        has_ext,
    )
    return Trades(idx, d, kind, ex, pnl / md.tick_int - ev.cost_ticks)


def _hours(md: MarketData, a: int, b: int) -> float:
    if b <= a or b > len(md):
        return 0.0
    return float(md.ts_ns[b - 1] - md.ts_ns[a]) / 3.6e12


def summarize(t: Trades, md: MarketData, hours: float) -> dict[str, Any]:
    """The metrics of one set of trades over a window of `hours`."""
    n = int(t.idx.shape[0])
    done = t.outcome != 0
    ttl = (md.ts_ns[t.exit_idx[done]] - md.ts_ns[t.idx[done]]) / 1e6
    rate = (lambda c: float(np.mean(t.outcome == c))) if n else (lambda c: None)
    return {
        "n_signals": n,
        "n_up": int(np.sum(t.direction > 0)),
        "n_down": int(np.sum(t.direction < 0)),
        "tp_rate": rate(1),
        "sl_rate": rate(-1),
        "timeout_rate": rate(0),
        "mean_pnl_ticks": float(np.mean(t.pnl_ticks)) if n else None,
        "median_pnl_ticks": float(np.median(t.pnl_ticks)) if n else None,
        "events_per_hour": n / hours if hours > 0 else None,
        "median_time_to_outcome_ms": float(np.median(ttl)) if ttl.shape[0] else None,
    }


def _subset(t: Trades, mask: npt.NDArray[np.bool_]) -> Trades:
    return Trades(
        t.idx[mask], t.direction[mask], t.outcome[mask], t.exit_idx[mask], t.pnl_ticks[mask]
    )


def threshold_row(t: Trades, md: MarketData, ev: EvalSettings) -> dict[str, Any]:
    """Whole-window metrics plus in-sample / out-of-sample split metrics (is_*, oos_*)."""
    start, n = ev.warmup_bins, len(md)
    split = start + int((n - start) * (1.0 - ev.oos_fraction))
    row = summarize(t, md, _hours(md, start, n))
    ins = summarize(_subset(t, t.idx < split), md, _hours(md, start, split))
    oos = summarize(_subset(t, t.idx >= split), md, _hours(md, split, n))
    keys = ("n_signals", "tp_rate", "sl_rate", "mean_pnl_ticks", "events_per_hour")
    row.update({f"is_{k}": ins[k] for k in keys})
    row.update({f"oos_{k}": oos[k] for k in keys})
    return row


def evaluate(
    score: F64,
    md: MarketData,
    ev: EvalSettings,
    *,
    kind: ThresholdKind,
    levels: Sequence[float],
    is_cancelled: Callable[[], bool] = lambda: False,
) -> list[dict[str, Any]]:
    """One metrics row per threshold level (absolute cut-offs or causal quantile levels)."""
    cuts: F64 | None = None
    if kind == "quantile":
        cuts = causal_thresholds(
            score, levels, ev.warmup_bins, ev.threshold_refresh_bins, ev.threshold_min_history
        )
    rows = []
    for i, level in enumerate(levels):
        if is_cancelled():
            raise Cancelled("cancelled between thresholds")
        cut = cuts[i] if cuts is not None else float(level)
        t = trade(states(score, cut, md.valid), md, ev)
        rows.append({"threshold": float(level), "threshold_kind": kind, **threshold_row(t, md, ev)})
    return rows


def best_row(rows: list[dict[str, Any]], min_signals: int) -> dict[str, Any] | None:
    """The row chosen in-sample only: max is_mean_pnl_ticks among rows with enough IS signals."""
    ok = [r for r in rows if (r["is_n_signals"] or 0) >= min_signals]
    return max(ok, key=lambda r: r["is_mean_pnl_ticks"]) if ok else None
