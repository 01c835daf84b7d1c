"""Gold VP kernel (numba): forces, rollup, d1-d3, robust z, flow score/state, state5.

All temporal state is kept per absolute price level (a slot keyed by tick), never per
relative row, so a spot move does not splice two price levels' histories together. A level
that leaves the served window and comes back starts a fresh history.
"""

# mypy: disallow-untyped-defs=False, disallow-incomplete-defs=False

from __future__ import annotations

import math

from qm_engine._jit import kernel, leaf, move

# gp (float64 params) slots
G_C = 0  # c1..c7 at 0..6
G_TANH, G_THR, G_DT, G_NW, G_ZWIN, G_MINP, G_DW = 7, 8, 9, 10, 11, 12, 13  # G_DW: 3 weights
G_TICK = 16  # level size in 1e-9 price units
G_WIN = 17  # windows then weights (n_windows each)

# state5 lookup: index (ask_sign+1)*3 + (bid_sign+1) -> (above, below)
_S5_ABOVE = (-1, -1, -1, -1, 0, 2, -1, -1, 2)
_S5_BELOW = (-2, -2, 0, -2, 0, 1, -2, -2, 1)


@leaf
def _count_below(arr, n, x):
    """Number of arr[:n] below x: the lower bound of x in a sorted array.

    A straight counting pass (vectorised; the `if` form, a bool sum is not) instead of a
    bisection: the windows live in L2/L3 between bins and each dependent load pays that.
    """
    c = 0
    for i in range(n):
        if arr[i] < x:
            c += 1
    return c


@leaf
def _insert_sorted(arr, n, x):
    """Insert x into arr[:n] (sorted ascending) before its equals."""
    lo = _count_below(arr, n, x)
    move(arr, lo + 1, lo, n - lo)
    arr[lo] = x


@leaf
def _replace_sorted(arr, n, old, x):
    """Remove one `old` from arr[:n] and insert x, shifting only the entries in between.

    Same array, bit for bit, as removing arr[lower_bound(old)] and then inserting x at its
    lower bound in the shortened array (a -0.0 / 0.0 tie removes the same entry).
    """
    c_old = c_x = 0
    for i in range(n):
        v = arr[i]
        if v < old:
            c_old += 1
        if v < x:
            c_x += 1
    ir = min(c_old, n - 1)
    ii = c_x - (arr[ir] < x)  # lower bound of x once entry ir is gone
    if ii >= ir:
        move(arr, ir, ir + 1, ii - ir)
    else:
        move(arr, ii + 1, ii, ir - ii)
    arr[ii] = x


@leaf
def _kth_deviations(arr, n, med, k):
    """The k-th and (k+1)-th smallest (0-based) of |arr[:n] - med| (k + 1 < n).

    With j = the lower bound of med the deviations are two ascending runs,
    L[t] = med - arr[j-1-t] and R[t] = arr[j+t] - med; bisecting how many of the k + 1
    smallest come from L gives the k-th as the larger of the two last taken and the
    (k+1)-th as the smaller of the two next ones (values equal to an outward merge).
    """
    # lower bound of med: med <= arr[n // 2], so it is n // 2 unless arr[n // 2 - 1] == med
    h = n // 2
    j = h if h == 0 or arr[h - 1] < med else _count_below(arr, h - 1, med)
    m, nl, nr = k + 1, j, n - j
    lo, hi = max(0, m - nr), min(m, nl)
    while lo < hi:
        a = (lo + hi) // 2
        if arr[j + m - a - 1] - med > med - arr[j - 1 - a]:
            lo = a + 1
        else:
            hi = a
    b = m - lo
    last_l = med - arr[j - lo] if lo > 0 else -math.inf
    last_r = arr[j + b - 1] - med if b > 0 else -math.inf
    next_l = med - arr[j - lo - 1] if lo < nl else math.inf
    next_r = arr[j + b] - med if b < nr else math.inf
    return max(last_l, last_r), min(next_l, next_r)


@leaf
def _median_sorted(arr, n):
    return arr[n // 2] if n % 2 else 0.5 * (arr[n // 2 - 1] + arr[n // 2])


@leaf
def _robust_z(ring, srt, cnt, pos, zwin, minp, x):
    """Push x into the window and return its robust z-score (0 until min periods)."""
    n = cnt[0]
    if n == zwin:
        _replace_sorted(srt, n, ring[pos[0]], x)
    else:
        _insert_sorted(srt, n, x)
        n += 1
        cnt[0] = n
    ring[pos[0]] = x
    pos[0] = (pos[0] + 1) % zwin
    if n < minp:
        return 0.0
    med = _median_sorted(srt, n)
    if n % 2:
        mad = _kth_deviations(srt, n, med, n // 2 - 1)[1] if n > 1 else 0.0
    else:
        lo_dev, hi_dev = _kth_deviations(srt, n, med, n // 2 - 1)
        mad = 0.5 * (lo_dev + hi_dev)
    scale = 1.4826 * mad
    return 0.0 if scale <= 1e-9 else (x - med) / scale


@leaf
def _reset(slot, tick, s_tick, s_count, zcnt, zpos):
    s_tick[slot] = tick
    s_count[slot] = 0
    for d in range(3):
        zcnt[slot, d] = 0
        zpos[slot, d] = 0


@leaf
def _forces(gp, f):
    """Pressure and vacuum of one silver row (domain.md §2.5)."""
    v_add, v_pull, v_fill, v_rest = f[6], f[7], f[8], f[9]
    a_add, a_pull = f[12], f[13]
    pres = gp[0] * v_add + gp[1] * max(v_rest, 0.0) + gp[2] * max(a_add, 0.0)
    vac = gp[3] * v_pull + gp[4] * v_fill + gp[5] * max(-v_rest, 0.0) + gp[6] * max(a_pull, 0.0)
    return pres, vac


@leaf
def _rollup(gp, ring, count, wmax, pre):
    """Sum over windows of weight * mean(composite_raw over the last min(count, w) bins).

    One newest-first pass keeps the running sums in pre[1..]: the sum over the last w bins is
    pre[w], the same additions in the same order as a separate loop per window.
    """
    idx = (count - 1) % wmax
    acc = 0.0
    for b in range(min(count, wmax)):
        acc += ring[idx]
        pre[b + 1] = acc
        idx = idx - 1 if idx > 0 else wmax - 1
    total = 0.0
    nw = int(gp[G_NW])
    for w_i in range(nw):
        w = min(int(gp[G_WIN + w_i]), count)
        total += gp[G_WIN + nw + w_i] * (pre[w] / w)
    return total


@kernel
def gold_step(
    gp, meta, silver_f, price, out, s_tick, s_last, s_count, comp, prev, zr, zs, zcnt, zpos, pre
):
    """One bin: meta = (bin_seq, valid, bid_px, ask_px, ask_sign, bid_sign); writes out[rows, 9].

    pre is scratch of at least max(flow_windows) + 1 floats.
    """
    n_slots, wmax = comp.shape[0], comp.shape[1]
    bin_seq, valid, bid_px, ask_px = meta[0], meta[1], meta[2], meta[3]
    s5 = (meta[4] + 1) * 3 + (meta[5] + 1)
    out[:] = 0.0
    level = int(gp[G_TICK])
    for r in range(price.shape[0]):
        if valid == 0 or price[r] == 0:
            continue
        tick = price[r] // level
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
        c = _rollup(gp, comp[slot], n, wmax, pre)
        o = out[r]
        _derivs(gp, prev[slot], n, c, o)
        _score(gp, zr[slot], zs[slot], zcnt[slot], zpos[slot], o)
        side = 2 * price[r] - bid_px - ask_px
        o[0], o[1], o[2] = pres, vac, c
        o[6] = _S5_ABOVE[s5] if side > 0 else (_S5_BELOW[s5] if side < 0 else 0)


@kernel
def gold_steps(
    gp, metas, silver_f, price, out, s_tick, s_last, s_count, comp, prev, zr, zs, zcnt, zpos, pre
):
    """gold_step for each bin b of a block: metas (n, 6), silver_f (n, rows, 24),
    price (n, rows) -> out (n, rows, 9)."""
    for b in range(metas.shape[0]):
        gold_step(
            gp,
            metas[b],
            silver_f[b],
            price[b],
            out[b],
            s_tick,
            s_last,
            s_count,
            comp,
            prev,
            zr,
            zs,
            zcnt,
            zpos,
            pre,
        )


@leaf
def _derivs(gp, prev, n, c, o):
    """d1-d3 of the composite with the fixed bin dt; 0 until enough history."""
    dt = gp[G_DT]
    d1 = (c - prev[0]) / dt if n >= 2 else 0.0
    d2 = (d1 - prev[1]) / dt if n >= 3 else 0.0
    d3 = (d2 - prev[2]) / dt if n >= 4 else 0.0
    prev[0], prev[1], prev[2] = c, d1, d2
    o[3], o[4], o[5] = d1, d2, d3


@leaf
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
