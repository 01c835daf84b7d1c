"""Causal rolling kernels shared by the signals: EMA, rolling mean/std, OLS slope, robust z.

Every output at index i depends on inputs at indices <= i only; the runner's causality audit
relies on that (a prefix of the input gives a prefix of the output, bit for bit).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]

MAD_SCALE = 1.4826


@njit(cache=True)
def _ema(x: F64, alpha: float) -> F64:  # pragma: no cover - compiled
    out = np.empty_like(x)
    acc = np.nan
    for i in range(x.shape[0]):
        v = x[i]
        if np.isnan(v):
            out[i] = acc
            continue
        acc = v if np.isnan(acc) else acc + alpha * (v - acc)
        out[i] = acc
    return out


def ema(x: F64, alpha: float) -> F64:
    """Exponential moving average seeded by the first finite value; NaN inputs hold the state."""
    return _ema(np.ascontiguousarray(x, dtype=np.float64), float(alpha))


def ema_span(x: F64, span: int) -> F64:
    """EMA with alpha = 2 / (span + 1)."""
    return ema(x, 2.0 / (span + 1.0))


def rolling_mean(x: F64, window: int) -> F64:
    """Trailing mean over `window` samples; the first window-1 values are NaN."""
    c = np.concatenate(([0.0], np.cumsum(x)))
    out = np.full(x.shape[0], np.nan)
    if x.shape[0] >= window:
        out[window - 1 :] = (c[window:] - c[:-window]) / window
    return out


def rolling_std(x: F64, window: int) -> F64:
    """Trailing population std over `window` samples; the first window-1 values are NaN."""
    m = rolling_mean(x, window)
    m2 = rolling_mean(x * x, window)
    return np.sqrt(np.maximum(m2 - m * m, 0.0))


def rolling_ols_slope(y: F64, window: int) -> F64:
    """Trailing OLS slope of y against 0..window-1 (closed form over cumulative sums)."""
    n = y.shape[0]
    out = np.full(n, np.nan)
    if window < 2 or n < window:
        return out
    j = np.arange(n, dtype=np.float64)
    cy = np.concatenate(([0.0], np.cumsum(y)))
    cjy = np.concatenate(([0.0], np.cumsum(j * y)))
    start = np.arange(window - 1, n) - window + 1
    sy = cy[window:] - cy[:-window]
    sjy = cjy[window:] - cjy[:-window] - start * sy
    sx = window * (window - 1) / 2.0
    sxx = (window - 1) * window * (2 * window - 1) / 6.0
    out[window - 1 :] = (window * sjy - sx * sy) / (window * sxx - sx * sx)
    return out


@njit(cache=True)
def _robust_z(x: F64, window: int, min_periods: int) -> F64:  # pragma: no cover - compiled
    n = x.shape[0]
    out = np.full(n, np.nan)
    buf = np.empty(window)
    for i in range(n):
        if np.isnan(x[i]):
            continue
        m = 0
        for j in range(max(0, i - window + 1), i + 1):
            if not np.isnan(x[j]):
                buf[m] = x[j]
                m += 1
        if m < min_periods:
            continue
        med = np.median(buf[:m])
        mad = np.median(np.abs(buf[:m] - med)) * 1.4826
        # a flat window carries no information: z is 0, never a whole-series fallback
        out[i] = (x[i] - med) / mad if mad > 1e-12 else 0.0
    return out


def robust_z(x: F64, window: int, min_periods: int) -> F64:
    """Trailing median/MAD z-score (1.4826 factor); NaN until min_periods finite samples."""
    return _robust_z(np.ascontiguousarray(x, dtype=np.float64), int(window), int(min_periods))


def lag(x: F64, n: int) -> F64:
    """x shifted n samples into the future (value at i is x[i-n]); the first n are NaN."""
    out = np.full(x.shape[0], np.nan)
    if n < x.shape[0]:
        out[n:] = x[: x.shape[0] - n]
    return out


def diff(x: F64, dt: float = 1.0) -> F64:
    """Backward finite difference divided by dt; the first value is NaN."""
    out = np.full(x.shape[0], np.nan)
    out[1:] = (x[1:] - x[:-1]) / dt
    return out


def tanh_blend(parts: list[F64], weights: list[float], scale: float) -> F64:
    """sum(w * tanh(part / scale)) / sum(|w|) over the parts with a non-zero weight."""
    used = [(p, w) for p, w in zip(parts, weights, strict=True) if w != 0]
    total = sum(abs(w) for _, w in used)
    acc = np.zeros(parts[0].shape[0])
    for p, w in used:
        acc = acc + w * np.tanh(p / scale)
    return acc / total
