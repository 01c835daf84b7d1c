"""Gold VP kernel (numba): forces, rollup, d1-d3, robust z, flow score/state, state5.

All temporal state is kept per absolute price level (a slot keyed by tick), never per
relative row, so a spot move does not splice two price levels' histories together. A level
that leaves the served window and comes back starts a fresh history.
"""

# mypy: disallow-untyped-defs=False, disallow-incomplete-defs=False

from __future__ import annotations

import math

from qm_engine._jit import kernel

# gp (float64 params) slots
G_C = 0  # c1..c7 at 0..6
G_TANH, G_THR, G_DT, G_NW, G_ZWIN, G_MINP, G_DW = 7, 8, 9, 10, 11, 12, 13  # G_DW: 3 weights
G_TICK = 16  # level size in 1e-9 price units
G_WIN = 17  # windows then weights (n_windows each)

# state5 lookup: index (ask_sign+1)*3 + (bid_sign+1) -> (above, below)
_S5_ABOVE = (-1, -1, -1, -1, 0, 2, -1, -1, 2)
_S5_BELOW = (-2, -2, 0, -2, 0, 1, -2, -2, 1)


@kernel
def _insert_sorted(arr, n, x):
    """Insert x into arr[:n] (sorted ascending)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if arr[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    for i in range(n, lo, -1):
        arr[i] = arr[i - 1]
    arr[lo] = x


@kernel
def _remove_sorted(arr, n, x):
    """Remove one occurrence of x from arr[:n]."""
    lo, hi = 0, n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if arr[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    for i in range(lo, n - 1):
        arr[i] = arr[i + 1]


@kernel
def _kth_deviation(arr, n, med, k):
    """k-th smallest (0-based) of |arr[:n] - med|, merging outward from the median."""
    j = 0
    while j < n and arr[j] < med:
        j += 1
    i = j - 1
    val = 0.0
    for _ in range(k + 1):
        left = med - arr[i] if i >= 0 else math.inf
        right = arr[j] - med if j < n else math.inf
        if left <= right:
            val, i = left, i - 1
        else:
            val, j = right, j + 1
    return val


@kernel
def _median_sorted(arr, n):
    return arr[n // 2] if n % 2 else 0.5 * (arr[n // 2 - 1] + arr[n // 2])


@kernel
def _robust_z(ring, srt, cnt, pos, zwin, minp, x):
    """Push x into the window and return its robust z-score (0 until min periods)."""
    n = cnt[0]
    if n == zwin:
        _remove_sorted(srt, n, ring[pos[0]])
        n -= 1
    ring[pos[0]] = x
    pos[0] = (pos[0] + 1) % zwin
    _insert_sorted(srt, n, x)
    n += 1
    cnt[0] = n
    if n < minp:
        return 0.0
    med = _median_sorted(srt, n)
    if n % 2:
        mad = _kth_deviation(srt, n, med, n // 2)
    else:
        mad = 0.5 * (_kth_deviation(srt, n, med, n // 2 - 1) + _kth_deviation(srt, n, med, n // 2))
    scale = 1.4826 * mad
    return 0.0 if scale <= 1e-9 else (x - med) / scale


@kernel
def _reset(slot, tick, s_tick, s_count, zcnt, zpos):
    s_tick[slot] = tick
    s_count[slot] = 0
    for d in range(3):
        zcnt[slot, d] = 0
        zpos[slot, d] = 0


@kernel
def _forces(gp, f):
    """Pressure and vacuum of one silver row (domain.md §2.5)."""
    v_add, v_pull, v_fill, v_rest = f[6], f[7], f[8], f[9]
    a_add, a_pull = f[12], f[13]
    pres = gp[0] * v_add + gp[1] * max(v_rest, 0.0) + gp[2] * max(a_add, 0.0)
    vac = gp[3] * v_pull + gp[4] * v_fill + gp[5] * max(-v_rest, 0.0) + gp[6] * max(a_pull, 0.0)
    return pres, vac


@kernel
def _rollup(gp, ring, count, wmax):
    """Sum over windows of weight * mean(composite_raw over the last min(count, w) bins)."""
    total = 0.0
    nw = int(gp[G_NW])
    newest = (count - 1) % wmax
    for w_i in range(nw):
        w = min(int(gp[G_WIN + w_i]), count)
        acc = 0.0
        for b in range(w):
            acc += ring[(newest - b) % wmax]
        total += gp[G_WIN + nw + w_i] * (acc / w)
    return total


@kernel
def gold_step(
    gp, meta, silver_f, price, out, s_tick, s_last, s_count, comp, prev, zr, zs, zcnt, zpos
):
    """One bin: meta = (bin_seq, valid, bid_px, ask_px, ask_sign, bid_sign); writes out[rows, 9]."""
    n_slots, wmax = comp.shape[0], comp.shape[1]
    bin_seq, valid, bid_px, ask_px = meta[0], meta[1], meta[2], meta[3]
    s5 = (meta[4] + 1) * 3 + (meta[5] + 1)
    out[:] = 0.0
    for r in range(price.shape[0]):
        if valid == 0 or price[r] == 0:
            continue
        tick = price[r] // int(gp[G_TICK])
        slot = tick % n_slots
        if s_tick[slot] != tick or s_last[slot] != bin_seq - 1:
            _reset(slot, tick, s_tick, s_count, zcnt, zpos)
        s_last[slot] = bin_seq
        pres, vac = _forces(gp, silver_f[r])
        raw = (pres - vac) / (abs(pres) + abs(vac) + 1e-12)
        n = s_count[slot]
        comp[slot, n % wmax] = raw
        n += 1
        s_count[slot] = n
        c = _rollup(gp, comp[slot], n, wmax)
        _derivs(gp, prev[slot], n, c, out[r])
        _score(gp, zr[slot], zs[slot], zcnt[slot], zpos[slot], out[r])
        side = 2 * price[r] - bid_px - ask_px
        out[r, 0], out[r, 1], out[r, 2] = pres, vac, c
        out[r, 6] = _S5_ABOVE[s5] if side > 0 else (_S5_BELOW[s5] if side < 0 else 0)


@kernel
def _derivs(gp, prev, n, c, o):
    """d1-d3 of the composite with the fixed bin dt; 0 until enough history."""
    dt = gp[G_DT]
    d1 = (c - prev[0]) / dt if n >= 2 else 0.0
    d2 = (d1 - prev[1]) / dt if n >= 3 else 0.0
    d3 = (d2 - prev[2]) / dt if n >= 4 else 0.0
    prev[0], prev[1], prev[2] = c, d1, d2
    o[3], o[4], o[5] = d1, d2, d3


@kernel
def _score(gp, zr, zs, zcnt, zpos, o):
    """Robust z of d1-d3, tanh blend into flow_score, and the 3-state flow code."""
    zwin, minp = int(gp[G_ZWIN]), int(gp[G_MINP])
    total, norm = 0.0, 0.0
    for d in range(3):
        z = _robust_z(zr[d], zs[d], zcnt[d : d + 1], zpos[d : d + 1], zwin, minp, o[3 + d])
        w = gp[G_DW + d]
        total += w * math.tanh(z / gp[G_TANH])
        norm += abs(w)
    score = total / norm
    if math.isnan(score):
        score = 0.0
    score = min(1.0, max(-1.0, score))
    thr = gp[G_THR]
    o[7] = score
    o[8] = 1.0 if score >= thr else (-1.0 if score <= -thr else 0.0)
