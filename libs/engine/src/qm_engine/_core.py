"""The numba event loop: apply MBO records, close bins, sample silver rows."""

# mypy: disallow-untyped-defs=False, disallow-incomplete-defs=False

from __future__ import annotations

import math

import numpy as np

from qm_engine._book import (
    add_order,
    clear_book,
    fill_flow,
    modify_order,
    recenter,
    remove_qty,
)
from qm_engine._jit import kernel, leaf
from qm_engine._layout import (
    B_ASK_PX,
    B_BID_PX,
    B_CENTER_PX,
    B_COUNT,
    B_END,
    B_EVENT,
    B_SEQ,
    B_SPOT_PX,
    B_SPREAD,
    B_START,
    B_TS,
    B_VALID,
    CH_PULL,
    S_AT_LAST,
    S_BAD_BOOK,
    S_BAD_RECORD,
    S_BASE,
    S_BEST_ASK,
    S_BEST_BID,
    S_BIN_COUNT,
    S_BIN_END,
    S_BIN_SEQ,
    S_BIN_START,
    S_BINS_ON,
    S_CAP_BITS,
    S_CAP_MASK,
    S_END_NS,
    S_EVENT_ID,
    S_FILLS,
    S_GAPS,
    S_HAS_PREV,
    S_LAST_SEQ,
    S_LAST_TS,
    S_N,
    S_N_ORDERS,
    S_NOW,
    S_PREV_ASK_PX,
    S_PREV_BID_PX,
    S_RADIUS,
    S_RECORDS,
    S_SNAP,
    S_T0,
    S_TICK_INT,
    S_TRADE_VOLUME,
    S_TRADES,
    S_UNDEF_PRICE,
    S_UNKNOWN_ORDER,
    S_VALID,
    S_WIDTH,
    ST_DONE,
    ST_END,
    ST_OUT_FULL,
    ST_TABLE_FULL,
)
from qm_engine._orders import find
from qm_engine._physics import EPOCH_NS, growth, rebase, sample

F_LAST, F_SNAPSHOT, F_MAYBE_BAD_BOOK = 128, 32, 4
A_ADD, A_CANCEL, A_MODIFY, A_CLEAR, A_TRADE, A_FILL = 65, 67, 77, 82, 84, 70
SIDE_BID, SIDE_ASK = 66, 65
UNDEF = np.iinfo(np.int64).max


@kernel
def _sign(x):
    return (x > 0) - (x < 0)


@kernel
def _labels(st, lbl, bid_px, ask_px):
    """BBO move labels against the previous emitted bin (domain.md §2.9)."""
    ti = st[S_TICK_INT]
    am = bm = 0
    if st[S_HAS_PREV] and bid_px > 0 and ask_px > 0 and st[S_PREV_BID_PX] > 0:
        am = int(np.round((ask_px - st[S_PREV_ASK_PX]) / ti))
        bm = int(np.round((bid_px - st[S_PREV_BID_PX]) / ti))
    sa, sb = _sign(am), _sign(bm)
    lbl[0], lbl[1], lbl[2], lbl[3] = am, bm, sa, sb
    lbl[4] = (sa + 1) * 3 + (sb + 1)
    lbl[5] = 1 if sa > 0 and sb > 0 else 0
    lbl[6] = 1 if sa < 0 and sb < 0 else 0
    st[S_PREV_BID_PX], st[S_PREV_ASK_PX], st[S_HAS_PREV] = bid_px, ask_px, 1


@kernel
def emit(st, par, lv, phys, plast, co, tmp, ob, out_bins, out_lbl, out_f, out_i):
    """Write the current bin into output row ob and advance to the next bin."""
    t = st[S_BIN_END]
    meta = out_bins[ob]
    meta[B_SEQ], meta[B_TS], meta[B_START], meta[B_END] = st[S_BIN_SEQ], t, st[S_BIN_START], t
    meta[B_COUNT], meta[B_EVENT] = st[S_BIN_COUNT], st[S_EVENT_ID]
    bb, ba, ti, base, r = st[S_BEST_BID], st[S_BEST_ASK], st[S_TICK_INT], st[S_BASE], st[S_RADIUS]
    have = bb >= 0 and ba >= 0 and bb < ba
    bid_px = (base + bb) * ti if bb >= 0 else 0
    ask_px = (base + ba) * ti if ba >= 0 else 0
    meta[B_BID_PX], meta[B_ASK_PX] = bid_px, ask_px
    ok = have and st[S_VALID] == 1 and st[S_SNAP] == 0 and st[S_AT_LAST] == 1
    meta[B_VALID] = 1 if ok else 0
    _labels(st, out_lbl[ob], bid_px, ask_px)
    out_f[ob] = 0.0
    out_i[ob] = 0
    centre = (bb + ba) // 2
    meta[B_SPOT_PX] = (bid_px + ask_px) // 2 if have else 0
    meta[B_CENTER_PX] = (base + centre) * ti if have else 0
    meta[B_SPREAD] = ba - bb if have else 0
    dt = (t - st[S_T0]) * 1e-9
    for k in range(4):
        tmp[k] = math.exp(-par[k] * dt) if st[S_T0] > 0 else 0.0
    for row in range(2 * r + 1):
        out_i[ob, row, 0] = row - r
        i = centre + row - r
        if have and 0 <= i < st[S_N]:
            out_i[ob, row, 1] = (base + i) * ti
            out_i[ob, row, 2] = plast[i, 1]
            f = out_f[ob, row]
            sample(phys[i], par, tmp, f)
            bd, ad = float(lv[i, 0]), float(lv[i, 1])
            f[3], f[4], f[5] = bd + ad, bd, ad
    st[S_BIN_SEQ] += 1
    st[S_BIN_START] = t
    st[S_BIN_END] = t + st[S_WIDTH]
    st[S_BIN_COUNT] = 0


@kernel
def flush_bins(st, par, lv, phys, plast, co, tmp, out_bins, out_lbl, out_f, out_i):
    """Emit every remaining bin up to end_ns; returns (bins written, status)."""
    ob = 0
    while st[S_BINS_ON] == 1 and st[S_BIN_END] <= st[S_END_NS]:
        if ob == out_bins.shape[0]:
            return ob, ST_OUT_FULL
        emit(st, par, lv, phys, plast, co, tmp, ob, out_bins, out_lbl, out_f, out_i)
        ob += 1
    return ob, ST_DONE


@leaf
def _clock(st, par, phys, co, ts):
    """Advance the event clock; move the physics epoch at fixed multiples of EPOCH_NS."""
    st[S_NOW] = ts
    if st[S_T0] == 0 or ts - st[S_T0] >= EPOCH_NS:
        t1 = ts - ts % EPOCH_NS
        if st[S_T0] > 0:
            rebase(par, phys, st[S_T0], t1)
        st[S_T0] = t1
    growth(par, st[S_T0], ts, co)


@leaf
def _bookkeep(st, par, phys, co, ts, fl, seq, snap):
    """Clock, sequence gaps and bad-book flags of one record."""
    st[S_RECORDS] += 1
    if fl & F_MAYBE_BAD_BOOK:
        st[S_BAD_BOOK] += 1
    if snap:
        return
    if ts > st[S_NOW]:
        _clock(st, par, phys, co, ts)
    if st[S_LAST_SEQ] > 0 and seq > st[S_LAST_SEQ] + 1:
        st[S_GAPS] += 1
    if seq > st[S_LAST_SEQ]:
        st[S_LAST_SEQ] = seq


@leaf
def _apply(st, par, lv, phys, plast, co, keys, oc, act, sd, oid, price, size, snap):
    """Dispatch one record by action (one branch per Databento action)."""
    if act == A_ADD or act == A_MODIFY:  # noqa: SIM109 (plain compares keep numba typing simple)
        if price == UNDEF or (sd != SIDE_BID and sd != SIDE_ASK):
            st[S_UNDEF_PRICE if price == UNDEF else S_BAD_RECORD] += 1
        elif act == A_ADD:
            add_order(
                st, par, lv, phys, plast, co, keys, oc, oid, sd == SIDE_BID, price, size, snap
            )
        else:
            modify_order(
                st, par, lv, phys, plast, co, keys, oc, oid, sd == SIDE_BID, price, size, snap
            )
    elif act == A_CANCEL:
        slot = find(keys, oid, st[S_CAP_BITS], st[S_CAP_MASK])
        if slot < 0:
            st[S_UNKNOWN_ORDER] += 1
        else:
            remove_qty(st, par, lv, phys, plast, co, keys, oc, slot, size, CH_PULL, snap)
    elif act == A_FILL:
        st[S_FILLS] += 1
        if price != UNDEF and not snap:
            fill_flow(st, par, lv, phys, plast, co, price, size)
    elif act == A_TRADE:
        st[S_TRADES] += 1
        st[S_TRADE_VOLUME] += size
    elif act == A_CLEAR:
        clear_book(st, lv, keys)
        st[S_VALID] = 0
        if snap:
            st[S_SNAP] = 1
    elif act != 78:
        st[S_BAD_RECORD] += 1


@leaf
def _after(st, lv, phys, plast, keys, oc, fl, snap):
    """F_LAST handling: snapshot completion, validity, recentring at consistent states."""
    st[S_AT_LAST] = 1 if fl & F_LAST else 0
    if not fl & F_LAST:
        return
    if st[S_SNAP] == 1 and snap:
        st[S_SNAP] = 0
    if st[S_SNAP] == 0:
        st[S_VALID] = 1
        bb, ba, n = st[S_BEST_BID], st[S_BEST_ASK], st[S_N]
        if bb >= 0 and ba >= 0:
            c = (bb + ba) // 2
            if c < n // 4 or c >= n - n // 4:
                recenter(st, lv, phys, plast, keys, oc, c)


@kernel
def run(rec, start, st, par, lv, phys, plast, co, tmp, keys, oc, out):
    """Apply rec[start:] (ts, oid, price, size, flags, action, side, seq); returns (next, bins, st).

    Long on purpose: the hot loop stays in one frame so numba keeps the state in registers.
    """
    ts_a, oid_a, price_a, size_a, fl_a, act_a, side_a, seq_a = rec
    out_bins, out_lbl, out_f, out_i = out
    ob = 0
    cap_bins = out_bins.shape[0]
    limit = (st[S_CAP_MASK] + 1) * 7 // 10
    for idx in range(start, ts_a.shape[0]):
        ts = np.int64(ts_a[idx])
        fl = fl_a[idx]
        snap = (fl & F_SNAPSHOT) != 0
        if st[S_BINS_ON] == 1 and not snap:
            while ts >= st[S_BIN_END] and st[S_BIN_END] <= st[S_END_NS]:
                if ob == cap_bins:
                    return idx, ob, ST_OUT_FULL
                emit(st, par, lv, phys, plast, co, tmp, ob, out_bins, out_lbl, out_f, out_i)
                ob += 1
            if ts >= st[S_END_NS]:
                return idx, ob, ST_END
        if st[S_N_ORDERS] >= limit:
            return idx, ob, ST_TABLE_FULL
        _bookkeep(st, par, phys, co, ts, fl, np.int64(seq_a[idx]), snap)
        st[S_EVENT_ID] += 1
        act = act_a[idx]
        _apply(
            st,
            par,
            lv,
            phys,
            plast,
            co,
            keys,
            oc,
            act,
            side_a[idx],
            oid_a[idx],
            price_a[idx],
            np.int64(size_a[idx]),
            snap,
        )
        _after(st, lv, phys, plast, keys, oc, fl, snap)
        st[S_LAST_TS] = ts
        if not snap and ts >= st[S_BIN_START]:
            st[S_BIN_COUNT] += 1
    return ts_a.shape[0], ob, ST_DONE
