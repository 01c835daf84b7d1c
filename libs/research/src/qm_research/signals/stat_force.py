"""Statistical signals over gold forces and derivatives: msd, spg, erd, jad (domain §6.4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qm_research.data import MarketData
from qm_research.kernels import ema_span, robust_z
from qm_research.signals.bands import inverse_k_weights, k_axis, side_weighted
from qm_research.signals.base import Context, SignalDef, register, require

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MsdParams:
    """Vacuum imbalance above vs below spot (domain §6.4 `msd`)."""

    variant: str = "weighted"
    warmup: int = 300

    def check(self) -> None:
        """variant is 'weighted' or 'sum'; warmup >= 0."""
        require(self.variant in ("weighted", "sum"), "variant must be 'weighted' or 'sum'")
        require(self.warmup >= 0, "warmup must be >= 0")


def _msd(md: MarketData, p: MsdParams, ctx: Context) -> F64:
    v = md.grid("vacuum_variant")
    k = k_axis(md)
    w = 1.0 / np.maximum(np.abs(k), 1.0) if p.variant == "weighted" else np.ones_like(k)
    out = v @ (w * (k > 0)) - v @ (w * (k < 0))
    out[: p.warmup] = np.nan
    return np.asarray(out)


@dataclass(frozen=True)
class SpgParams:
    """Spatial pressure/vacuum gradients along k (domain §6.4 `spg`)."""

    band_ticks: int = 16
    fast_span: int = 5
    slow_span: int = 20
    curvature_span: int = 10
    curvature_ticks: int = 2
    fast_weight: float = 0.6
    slow_weight: float = 0.4
    gradient_weight: float = 0.7
    curvature_weight: float = 0.3

    def check(self) -> None:
        """Positive spans and band widths."""
        require(self.band_ticks >= 2, "band_ticks must be >= 2")
        require(min(self.fast_span, self.slow_span, self.curvature_span) >= 1, "spans >= 1")
        require(self.curvature_ticks >= 1, "curvature_ticks must be >= 1")


def _side_gradient(md: MarketData, col: str, band: int) -> tuple[F64, F64]:
    """Mean d/dk of a column over the bid band and the ask band."""
    r = md.radius
    g = np.diff(md.grid(col), axis=1)  # row j is value(k_{j+1}) - value(k_j)
    below = g[:, max(r - band, 0) : r].mean(axis=1)
    above = g[:, r : r + band].mean(axis=1)
    return below, above


def _spg(md: MarketData, p: SpgParams, ctx: Context) -> F64:
    pb, pa = _side_gradient(md, "pressure_variant", p.band_ticks)
    vb, va = _side_gradient(md, "vacuum_variant", p.band_ticks)
    net = -(pb - pa) + (va - vb)
    dual = p.fast_weight * ema_span(net, p.fast_span) + p.slow_weight * ema_span(net, p.slow_span)
    r, c = md.radius, p.curvature_ticks
    near = md.grid("pressure_variant")[:, max(r - c, 0) : r + c + 1]
    curv = -np.diff(near, n=2, axis=1).mean(axis=1)
    return np.asarray(
        p.gradient_weight * dual + p.curvature_weight * ema_span(curv, p.curvature_span)
    )


@dataclass(frozen=True)
class ErdParams:
    """Entropy regime detector over the flow state (domain §6.4 `erd`)."""

    zscore_window: int = 100
    zscore_min_periods: int = 30
    spike_floor: float = 0.5
    variant: str = "a"

    def check(self) -> None:
        """variant is 'a' or 'b'; sane z window."""
        require(self.variant in ("a", "b"), "variant must be 'a' or 'b'")
        require(2 <= self.zscore_min_periods <= self.zscore_window, "bad zscore window")


def _entropy(codes: F64) -> F64:
    """Shannon entropy in bits of the {-1, 0, +1} distribution of each row."""
    h = np.zeros(codes.shape[0])
    for s in (-1, 0, 1):
        f = (codes == s).mean(axis=1)
        h -= np.where(f > 0, f * np.log2(np.where(f > 0, f, 1.0)), 0.0)
    return h


def _erd(md: MarketData, p: ErdParams, ctx: Context) -> F64:
    codes, score = md.grid("flow_state_code"), md.grid("flow_score")
    r = md.radius
    z = robust_z(_entropy(codes), p.zscore_window, p.zscore_min_periods)
    gate = np.maximum(0.0, z - p.spike_floor)
    if p.variant == "a":
        tilt = score[:, :r].mean(axis=1) - score[:, r + 1 :].mean(axis=1)
    else:
        tilt = _entropy(codes[:, r + 1 :]) - _entropy(codes[:, :r])
    return np.asarray(gate * tilt)


@dataclass(frozen=True)
class JadParams:
    """Jerk/acceleration divergence between the book sides (domain §6.4 `jad`)."""

    band_ticks: int = 24
    zscore_window: int = 300
    zscore_min_periods: int = 75
    tanh_scale: float = 3.0
    agree_jerk: float = 0.4
    agree_accel: float = 0.6
    disagree_jerk: float = 0.8
    disagree_accel: float = 0.2

    def check(self) -> None:
        """Positive band and scale, sane z window."""
        require(self.band_ticks >= 1, "band_ticks must be >= 1")
        require(self.tanh_scale > 0, "tanh_scale must be > 0")
        require(2 <= self.zscore_min_periods <= self.zscore_window, "bad zscore window")


def _divergence(md: MarketData, prefix: str, w: F64, band: int) -> F64:
    """Bullish-positive bid/ask divergence, averaged over add (bid - ask) and pull (ask - bid)."""
    add_b, add_a = side_weighted(md, f"{prefix}_add", 1, band, w)
    pull_b, pull_a = side_weighted(md, f"{prefix}_pull", 1, band, w)
    return np.asarray(0.5 * ((add_b - add_a) + (pull_a - pull_b)))


def _jad(md: MarketData, p: JadParams, ctx: Context) -> F64:
    w = inverse_k_weights(1, p.band_ticks, md.radius)
    jerk = _divergence(md, "j", w, p.band_ticks)
    accel = _divergence(md, "a", w, p.band_ticks)
    agree = np.sign(jerk) == np.sign(accel)
    raw = np.where(
        agree,
        p.agree_jerk * jerk + p.agree_accel * accel,
        p.disagree_jerk * jerk + p.disagree_accel * accel,
    )
    return np.asarray(np.tanh(robust_z(raw, p.zscore_window, p.zscore_min_periods) / p.tanh_scale))


QUANTILES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
register(SignalDef("msd", "stat", MsdParams, ("vacuum_variant",), _msd, "quantile", QUANTILES))
register(
    SignalDef(
        "spg",
        "stat",
        SpgParams,
        ("pressure_variant", "vacuum_variant"),
        _spg,
        "quantile",
        QUANTILES,
    )
)
register(
    SignalDef(
        "erd",
        "stat",
        ErdParams,
        ("flow_state_code", "flow_score"),
        _erd,
        "abs",
        (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0),
    )
)
register(
    SignalDef(
        "jad",
        "stat",
        JadParams,
        ("j_add", "j_pull", "a_add", "a_pull"),
        _jad,
        "abs",
        (0.05, 0.1, 0.15, 0.2, 0.25, 0.3),
    )
)
