"""Band helpers over the relative-k grid: k < 0 is the bid side, k > 0 the ask side."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from qm_research.data import MarketData

F64 = npt.NDArray[np.float64]


def side_mean(md: MarketData, col: str, k_lo: int, k_hi: int) -> tuple[F64, F64]:
    """(bid, ask) means of rows k in [-k_hi, -k_lo] and [k_lo, k_hi]."""
    bid = md.band(col, -k_hi, -k_lo).mean(axis=1)
    ask = md.band(col, k_lo, k_hi).mean(axis=1)
    return bid, ask


def side_sum(md: MarketData, col: str, k_lo: int, k_hi: int) -> tuple[F64, F64]:
    """(bid, ask) sums of rows k in [-k_hi, -k_lo] and [k_lo, k_hi]."""
    return (
        md.band(col, -k_hi, -k_lo).sum(axis=1),
        md.band(col, k_lo, k_hi).sum(axis=1),
    )


def inverse_k_weights(k_lo: int, k_hi: int, radius: int) -> F64:
    """1/|k| weights for |k| in [k_lo, min(k_hi, radius)], normalised to sum 1 (ascending |k|)."""
    k = np.arange(k_lo, min(k_hi, radius) + 1, dtype=np.float64)
    w = 1.0 / k
    return np.asarray(w / w.sum(), dtype=np.float64)


def side_weighted(md: MarketData, col: str, k_lo: int, k_hi: int, w: F64) -> tuple[F64, F64]:
    """(bid, ask) weighted sums, with weights ordered by ascending |k| on both sides."""
    bid = md.band(col, -k_hi, -k_lo)[:, ::-1][:, : w.shape[0]]
    ask = md.band(col, k_lo, k_hi)[:, : w.shape[0]]
    return bid @ w, ask @ w


def k_axis(md: MarketData) -> F64:
    """The k value of every grid row."""
    return np.arange(-md.radius, md.radius + 1, dtype=np.float64)
