"""Statistical signals over flow and state: derivative, flow_score, ads, pfp, iirc (domain §6.4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qm_research.data import MarketData
from qm_research.kernels import diff, ema, lag, robust_z, rolling_ols_slope, tanh_blend
from qm_research.signals.bands import k_axis, side_mean, side_sum
from qm_research.signals.base import Context, SignalDef, register, require

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DerivativeParams:
    """The serving spec's `derivative` params and weights, flattened (same names)."""

    center_exclusion_radius: int = 0
    spatial_decay_power: float = 0.0
    zscore_window_bins: int = 240
    zscore_min_periods: int = 60
    tanh_scale: float = 3.0
    d1_weight: float = 1.0
    d2_weight: float = 0.0
    d3_weight: float = 0.0
    bull_pressure: float = 1.0
    bull_vacuum: float = 1.0
    bear_pressure: float = 1.0
    bear_vacuum: float = 1.0
    mixed: float = 0.0

    def check(self) -> None:
        """Ranges as in qm_specs.serving.DerivativeParams/DerivativeWeights."""
        require(self.center_exclusion_radius >= 0, "center_exclusion_radius must be >= 0")
        require(self.spatial_decay_power >= 0, "spatial_decay_power must be >= 0")
        require(self.zscore_window_bins >= 2, "zscore_window_bins must be >= 2")
        require(
            2 <= self.zscore_min_periods <= self.zscore_window_bins,
            "zscore_min_periods must be in [2, zscore_window_bins]",
        )
        require(self.tanh_scale > 0, "tanh_scale must be > 0")
        ws = (self.d1_weight, self.d2_weight, self.d3_weight)
        require(min(ws) >= 0 and sum(ws) > 0, "d weights must be >= 0 with a positive sum")
        wb = (self.bull_pressure, self.bull_vacuum, self.bear_pressure, self.bear_vacuum)
        require(min(*wb, self.mixed) >= 0, "state weights must be >= 0")


def spatial_weights(md: MarketData, p: DerivativeParams) -> F64:
    """1 per row, 0 within the exclusion radius, times 1/max(|k|,1)^power, summing to 1."""
    k = np.abs(k_axis(md))
    w = (
        np.where(k <= p.center_exclusion_radius, 0.0, 1.0)
        / np.maximum(k, 1.0) ** p.spatial_decay_power
    )
    require(w.sum() > 0, "center_exclusion_radius leaves no row of the grid")
    return np.asarray(w / w.sum(), dtype=np.float64)


def derivative_base(md: MarketData, p: DerivativeParams) -> F64:
    """(bull - bear) * clip(1 - mixed * I0): state5 intensities weighted over k."""
    s5 = md.grid("state5_code")
    w = spatial_weights(md, p)
    inten = {s: (s5 == s) @ w for s in (-2, -1, 0, 1, 2)}
    bull = p.bull_pressure * inten[1] + p.bull_vacuum * inten[2]
    bear = p.bear_pressure * inten[-1] + p.bear_vacuum * inten[-2]
    return np.asarray((bull - bear) * np.clip(1.0 - p.mixed * inten[0], 0.0, 1.0))


def derivative_score(base: F64, dt: float, p: DerivativeParams) -> F64:
    """Robust-z of d1..d3 of the base, blended through tanh (only positively weighted ones)."""
    d1 = diff(base, dt)
    d2 = diff(d1, dt)
    d3 = diff(d2, dt)
    weights = [p.d1_weight, p.d2_weight, p.d3_weight]
    zs = [
        robust_z(d, p.zscore_window_bins, p.zscore_min_periods) if w > 0 else d
        for d, w in zip((d1, d2, d3), weights, strict=True)
    ]
    return tanh_blend(zs, weights, p.tanh_scale)


def _derivative(md: MarketData, p: DerivativeParams, ctx: Context) -> F64:
    return derivative_score(derivative_base(md, p), md.cell_width_ms / 1000.0, p)


@dataclass(frozen=True)
class FlowScoreParams:
    """Which grid row's gold flow_score to trade (0: the spot row)."""

    row_k: int = 0


def _flow_score(md: MarketData, p: FlowScoreParams, ctx: Context) -> F64:
    require(abs(p.row_k) <= md.radius, f"row_k {p.row_k} is outside the grid")
    return np.asarray(md.grid("flow_score")[:, md.radius + p.row_k], dtype=np.float64)


@dataclass(frozen=True)
class AdsParams:
    """Add/pull asymmetry slopes (domain §6.4 `ads`)."""

    slope_windows: tuple[int, int, int] = (10, 25, 50)
    zscore_window: int = 200
    zscore_min_periods: int = 30
    blend_weights: tuple[float, float, float] = (0.40, 0.35, 0.25)
    blend_scale: float = 3.0

    def check(self) -> None:
        """Windows >= 2, min periods within the window, positive scale."""
        require(min(self.slope_windows) >= 2, "slope_windows must be >= 2")
        require(2 <= self.zscore_min_periods <= self.zscore_window, "bad zscore_min_periods")
        require(self.blend_scale > 0, "blend_scale must be > 0")


ADS_BANDS = ((1, 3), (4, 11), (12, 23))


def _ads(md: MarketData, p: AdsParams, ctx: Context) -> F64:
    widths = np.array([hi - lo + 1 for lo, hi in ADS_BANDS], dtype=np.float64)
    bw = 1.0 / np.sqrt(widths)
    bw = bw / bw.sum()
    asym = np.zeros(len(md))
    for (lo, hi), w in zip(ADS_BANDS, bw, strict=True):
        add_b, add_a = side_mean(md, "v_add", lo, hi)
        pull_b, pull_a = side_mean(md, "v_pull", lo, hi)
        asym = asym + w * ((add_b - add_a) + (pull_a - pull_b))
    zs = [
        robust_z(rolling_ols_slope(asym, w), p.zscore_window, p.zscore_min_periods)
        for w in p.slope_windows
    ]
    return tanh_blend(zs, list(p.blend_weights), p.blend_scale)


@dataclass(frozen=True)
class PfpParams:
    """Inner/outer zone lead of flow (domain §6.4 `pfp`)."""

    lag: int = 5
    ema_alpha: float = 0.1
    add_weight: float = 0.6
    pull_weight: float = 0.4

    def check(self) -> None:
        """lag >= 1 and 0 < alpha <= 1."""
        require(self.lag >= 1, "lag must be >= 1")
        require(0 < self.ema_alpha <= 1, "ema_alpha must be in (0, 1]")


def _lead(inner: F64, outer: F64, p: PfpParams) -> F64:
    num = ema(np.nan_to_num(inner * lag(outer, p.lag)), p.ema_alpha)
    den = ema(inner * outer, p.ema_alpha)
    return np.asarray(num / (np.abs(den) + 1e-9))


def _pfp(md: MarketData, p: PfpParams, ctx: Context) -> F64:
    va = md.grid("v_add") + md.grid("v_fill")
    flow = {"v_add": va, "v_pull": md.grid("v_pull")}
    lead = {}
    for name, g in flow.items():
        r = md.radius
        inner_b, inner_a = g[:, r - 3 : r].mean(1), g[:, r + 1 : r + 4].mean(1)
        outer_b, outer_a = g[:, max(r - 12, 0) : r - 4].mean(1), g[:, r + 5 : r + 13].mean(1)
        lead[name] = (_lead(inner_b, outer_b, p), _lead(inner_a, outer_a, p))
    add_b, add_a = lead["v_add"]
    pull_b, pull_a = lead["v_pull"]
    out = p.add_weight * (add_b - add_a) + p.pull_weight * (pull_a - pull_b)
    out[: p.lag] = np.nan
    return np.asarray(out)


@dataclass(frozen=True)
class IircParams:
    """Add-to-removal ratio imbalance slope (domain §6.4 `iirc`)."""

    band_ticks: int = 16
    eps: float = 1.0
    fast: int = 10
    slow: int = 30
    fast_weight: float = 0.6
    slow_weight: float = 0.4
    noise_floor: float = 0.1

    def check(self) -> None:
        """Positive band, eps and windows (fast < slow)."""
        require(self.band_ticks >= 1, "band_ticks must be >= 1")
        require(self.eps > 0, "eps must be > 0")
        require(2 <= self.fast < self.slow, "need 2 <= fast < slow")
        require(self.noise_floor >= 0, "noise_floor must be >= 0")


def _iirc(md: MarketData, p: IircParams, ctx: Context) -> F64:
    def pos_sum(col: str) -> tuple[F64, F64]:
        b, a = side_sum(md, col, 1, p.band_ticks)
        return np.maximum(b, 0.0), np.maximum(a, 0.0)

    add_b, add_a = pos_sum("v_add")
    pull_b, pull_a = pos_sum("v_pull")
    fill_b, fill_a = pos_sum("v_fill")
    ratio_b = add_b / (pull_b + fill_b + p.eps)
    ratio_a = add_a / (pull_a + fill_a + p.eps)
    imb = np.log1p(ratio_b) - np.log1p(ratio_a)
    blend = p.fast_weight * rolling_ols_slope(imb, p.fast) + p.slow_weight * rolling_ols_slope(
        imb, p.slow
    )
    return np.asarray(np.where(np.abs(imb) < p.noise_floor, 0.0, blend))


register(
    SignalDef(
        "derivative",
        "stat",
        DerivativeParams,
        ("state5_code",),
        _derivative,
        "abs",
        (0.03, 0.05, 0.08, 0.10, 0.15, 0.20),
    )
)
register(
    SignalDef(
        "flow_score",
        "stat",
        FlowScoreParams,
        ("flow_score",),
        _flow_score,
        "abs",
        (0.15, 0.25, 0.35, 0.5, 0.65),
    )
)
register(
    SignalDef(
        "ads",
        "stat",
        AdsParams,
        ("v_add", "v_pull"),
        _ads,
        "abs",
        (0.02, 0.05, 0.08, 0.12, 0.16, 0.20),
    )
)
register(
    SignalDef(
        "pfp",
        "stat",
        PfpParams,
        ("v_add", "v_fill", "v_pull"),
        _pfp,
        "quantile",
        (0.5, 0.7, 0.8, 0.9, 0.95, 0.99),
    )
)
register(
    SignalDef(
        "iirc",
        "stat",
        IircParams,
        ("v_add", "v_fill", "v_pull"),
        _iirc,
        "abs",
        (0.001, 0.002, 0.005, 0.01, 0.02, 0.05),
    )
)
