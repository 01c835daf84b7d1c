"""Trade simulation kernel: fire on state changes with cooldown, fill at the touch, TP/SL/timeout.

Long entries buy at the ask and exit selling at the bid; shorts sell at the bid and buy back at
the ask. TP is a resting limit (fills at its level); SL is a stop that fills at the touch seen in
the bin that crossed it. With per-bin touch extremes a bin where both levels were reached has an
unknown order, so the conservative outcome (SL) is taken; without extremes only the bin-close
touch is observable and each bin has one unambiguous outcome.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]

TP, SL, TIMEOUT = 1, -1, 0


@njit(cache=True)
def _resolve(
    i: int,
    d: int,
    entry: int,
    bid: I64,
    ask: I64,
    valid: B,
    tp: int,
    sl: int,
    hold: int,
    ext: I64,
    has_ext: bool,
) -> tuple[int, int, int]:  # pragma: no cover - compiled
    n = bid.shape[0]
    tp_px = entry + d * tp
    sl_px = entry - d * sl
    last = i
    for j in range(i + 1, min(i + hold, n - 1) + 1):
        if not valid[j]:
            continue
        last = j
        close = bid[j] if d > 0 else ask[j]
        if d > 0:
            hi = ext[j, 0] if has_ext else close
            lo = ext[j, 1] if has_ext else close
            hit_tp, hit_sl = hi >= tp_px, lo <= sl_px
        else:
            hi = ext[j, 2] if has_ext else close
            lo = ext[j, 3] if has_ext else close
            hit_tp, hit_sl = lo <= tp_px, hi >= sl_px
        if hit_sl:  # checked first: with both reached inside one bin, the loss is assumed
            return -1, j, sl_px if has_ext else close
        if hit_tp:
            return 1, j, tp_px
    return 0, last, bid[last] if d > 0 else ask[last]


@njit(cache=True)
def simulate(
    state: I8,
    bid: I64,
    ask: I64,
    valid: B,
    start: int,
    cooldown: int,
    tp: int,
    sl: int,
    hold: int,
    one_position: bool,
    ext: I64,
    has_ext: bool,
) -> tuple[I64, I64, I64, I64, I64]:  # pragma: no cover - compiled
    """Trades as arrays (entry index, direction, outcome, exit index, PnL in 1e-9 units).

    A signal fires at bin i when its state is non-flat, differs from bin i-1's state, at least
    `cooldown` bins have passed since the previous fire and (one_position) no trade is open.
    """
    n = state.shape[0]
    idx = np.empty(n, np.int64)
    dirs = np.empty(n, np.int64)
    kind = np.empty(n, np.int64)
    exit_idx = np.empty(n, np.int64)
    pnl = np.empty(n, np.int64)
    m, last, prev, busy = 0, -1, 0, -1
    for i in range(start, n):
        s = int(state[i])
        fire = s != 0 and s != prev and (last < 0 or i - last >= cooldown)
        prev = s
        if not fire or (one_position and i <= busy):
            continue
        last = i
        entry = ask[i] if s > 0 else bid[i]
        k, j, px = _resolve(i, s, entry, bid, ask, valid, tp, sl, hold, ext, has_ext)
        idx[m], dirs[m], kind[m], exit_idx[m] = i, s, k, j
        pnl[m] = (px - entry) * s
        busy = j
        m += 1
    return idx[:m], dirs[:m], kind[:m], exit_idx[:m], pnl[:m]


@njit(cache=True)
def first_touch_labels(
    bid: I64, ask: I64, valid: B, tp: int, sl: int, hold: int
) -> tuple[I64, I64]:  # pragma: no cover - compiled
    """Per bin: +1 if a long entered at the touch hits TP first, -1 if a short does, else 0.

    Also returns the last bin each label looked at (i + hold, capped), which is what a
    walk-forward split must keep before its cut.
    """
    n = bid.shape[0]
    label = np.zeros(n, np.int64)
    horizon = np.empty(n, np.int64)
    empty = np.zeros((1, 4), np.int64)
    for i in range(n):
        horizon[i] = min(i + hold, n - 1)
        if not valid[i]:
            continue
        kl, jl, _ = _resolve(i, 1, ask[i], bid, ask, valid, tp, sl, hold, empty, False)
        ks, js, _ = _resolve(i, -1, bid[i], bid, ask, valid, tp, sl, hold, empty, False)
        if kl == 1 and (ks != 1 or jl < js):
            label[i] = 1
        elif ks == 1 and (kl != 1 or js < jl):
            label[i] = -1
    return label, horizon
