"""One run spec: bind params, compute the signal, audit its causality, evaluate, summarise."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from qm_research.data import MarketData
from qm_research.errors import Cancelled, LookAhead, RunError
from qm_research.evaluate import EvalSettings, best_row, evaluate
from qm_research.expansion import RunSpec
from qm_research.signals import Context, bind_params, get_signal

F64 = npt.NDArray[np.float64]
Status = Literal["succeeded", "failed"]
AUDIT_AT = 0.6  # the causality audit recomputes the signal on the first 60% of the bins


@dataclass
class RunResult:
    """The outcome of one run spec; thresholds holds its per-threshold metric rows."""

    run_spec: RunSpec
    status: Status
    metrics: dict[str, Any]
    error: str | None
    duration_s: float
    thresholds: list[dict[str, Any]] = field(default_factory=list)


def eval_settings(rs: RunSpec) -> EvalSettings:
    """The evaluator's settings for a run spec."""
    return EvalSettings(
        tp_ticks=rs.tp_ticks,
        sl_ticks=rs.sl_ticks,
        cooldown_bins=rs.cooldown_bins,
        max_hold_bins=rs.max_hold_bins,
        warmup_bins=rs.warmup_bins,
        cost_ticks=rs.cost_ticks,
        one_position=rs.one_position,
        oos_fraction=rs.oos_fraction,
        min_signals=rs.min_signals,
    )


def audit_causality(
    compute: Callable[[MarketData], F64], md: MarketData, full: F64, warmup: int
) -> None:
    """Recompute on a prefix of the data; any change in the past means the signal peeks."""
    cut = warmup + int((len(md) - warmup) * AUDIT_AT)
    if cut <= 0 or cut >= len(md):
        return
    head = compute(md.prefix(cut))
    a, b = full[:cut], head
    same = (a == b) | (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=1e-12)
    if not bool(np.all(same)):
        first = int(np.argmin(same))
        raise LookAhead(
            f"signal value at bin {first} changed when bins >= {cut} were removed: it uses "
            "future data"
        )


def compute_score(rs: RunSpec, md: MarketData, ctx: Context, audit: bool) -> tuple[F64, Any]:
    """The run's signal series (checked: one value per bin) and its definition."""
    sig = get_signal(rs.signal)
    params = bind_params(sig.params, rs.params)

    def run(data: MarketData) -> F64:
        out = np.asarray(sig.compute(data, params, ctx), dtype=np.float64)
        if out.shape != (len(data),):
            raise RunError(f"signal returned shape {out.shape}, expected ({len(data)},)")
        return out

    score = run(md)
    if audit:
        audit_causality(run, md, score, rs.warmup_bins)
    return score, sig


def run_metrics(rows: list[dict[str, Any]], min_signals: int) -> dict[str, Any]:
    """Run-level metrics: the in-sample-chosen threshold row (its OOS figures are honest)."""
    best = best_row(rows, min_signals)
    out: dict[str, Any] = {"n_thresholds": len(rows)}
    if best is not None:
        out.update({k: v for k, v in best.items() if k not in ("threshold", "threshold_kind")})
        out["best_threshold"] = best["threshold"]
    return out


def execute(
    rs: RunSpec, md: MarketData, *, is_cancelled: Callable[[], bool], audit: bool = True
) -> RunResult:
    """Run one spec; every error becomes a failed result with its message (never a fallback)."""
    t0 = time.perf_counter()
    try:
        ev = eval_settings(rs)
        ctx = Context(ev=ev, is_cancelled=is_cancelled)
        score, sig = compute_score(rs, md, ctx, audit)
        if is_cancelled():
            raise Cancelled("cancelled after the signal was computed")
        rows = evaluate(
            score, md, ev, kind=sig.threshold_kind, levels=sig.levels, is_cancelled=is_cancelled
        )
        metrics = run_metrics(rows, rs.min_signals)
        return RunResult(rs, "succeeded", metrics, None, time.perf_counter() - t0, rows)
    except RunError as exc:
        msg = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        msg = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
    return RunResult(rs, "failed", {}, msg, time.perf_counter() - t0)
