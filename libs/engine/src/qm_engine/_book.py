"""L3 book operations with Databento MBO semantics and their physics impulses (numba)."""

# mypy: disallow-untyped-defs=False, disallow-incomplete-defs=False

from __future__ import annotations

from qm_engine._jit import kernel, leaf
from qm_engine._layout import (
    CH_ADD,
    CH_ASK,
    CH_BID,
    CH_FILL,
    CH_PULL,
    S_ANCHORED,
    S_BASE,
    S_BEST_ASK,
    S_BEST_BID,
    S_CAP_BITS,
    S_CAP_MASK,
    S_DUP_ORDER,
    S_EVENT_ID,
    S_N,
    S_N_ORDERS,
    S_NOW,
    S_OUT_OF_RANGE,
    S_RECENTERS,
    S_TICK_INT,
)
from qm_engine._orders import delete, find, slot_for_insert
from qm_engine._physics import impulse


@leaf
def price_tick(price: int, tick_int: int) -> int:
    """Nearest absolute tick of a fixed-point price (half up)."""
    return (price + tick_int // 2) // tick_int


@leaf
def touch(st, plast, i):
    """Mark level i as touched by the current event."""
    plast[i, 0] = st[S_NOW]
    plast[i, 1] = st[S_EVENT_ID]


@leaf
def level_change(st, lv, i, is_bid, dq, dc):
    """Change resting quantity/count at level i and keep the best bid/ask index current."""
    side = 0 if is_bid else 1
    lv[i, side + 2] += dc
    lv[i, side] += dq
    qi = lv[i, side]
    slot = S_BEST_BID if is_bid else S_BEST_ASK
    best = st[slot]
    if dq > 0 and qi > 0:
        if best < 0 or (is_bid and i > best) or (not is_bid and i < best):
            st[slot] = i
    elif qi <= 0 and i == best:
        st[slot] = scan_best(lv, side, i, is_bid)


@kernel
def scan_best(lv, side, start, is_bid):
    """Next non-empty level from start outward (down for bids, up for asks), or -1."""
    n = lv.shape[0]
    j = start
    while 0 <= j < n:
        if lv[j, side] > 0:
            return j
        j = j - 1 if is_bid else j + 1
    return -1


@leaf
def rest(st, par, lv, phys, plast, co, is_bid, tick, dq, dc, flow_ch, snap):
    """Apply a resting-quantity change at an absolute tick, with impulses unless snapshot."""
    i = tick - st[S_BASE]
    if i < 0 or i >= st[S_N]:
        st[S_OUT_OF_RANGE] += 1
        return
    level_change(st, lv, i, is_bid, dq, dc)
    if snap:
        return
    touch(st, plast, i)
    if flow_ch >= 0:
        impulse(phys[i], flow_ch, float(abs(dq)), co)
    impulse(phys[i], CH_BID if is_bid else CH_ASK, float(dq), co)


@leaf
def anchor(st, tick):
    """Centre the level array on the first priced order."""
    if st[S_ANCHORED] == 0:
        st[S_BASE] = tick - st[S_N] // 2
        st[S_ANCHORED] = 1


@kernel
def add_order(st, par, lv, phys, plast, co, keys, oc, oid, is_bid, price, size, snap):
    """Add: insert the order and its quantity (a duplicate id replaces the old order)."""
    tick = price_tick(price, st[S_TICK_INT])
    anchor(st, tick)
    bits, mask = st[S_CAP_BITS], st[S_CAP_MASK]
    slot = slot_for_insert(keys, oid, bits, mask)
    if keys[slot] == oid:
        st[S_DUP_ORDER] += 1
        remove_qty(st, par, lv, phys, plast, co, keys, oc, slot, oc[slot, 3], -1, snap)
        slot = slot_for_insert(keys, oid, bits, mask)
    keys[slot] = oid
    oc[slot, 0] = 1 if is_bid else 0
    oc[slot, 1] = tick
    oc[slot, 2] = price
    oc[slot, 3] = size
    st[S_N_ORDERS] += 1
    rest(st, par, lv, phys, plast, co, is_bid, tick, size, 1, CH_ADD, snap)


@kernel
def remove_qty(st, par, lv, phys, plast, co, keys, oc, slot, amount, flow_ch, snap):
    """Reduce an order by min(amount, qty); delete it at zero."""
    qty = oc[slot, 3]
    take = min(amount, qty)
    left = qty - take
    oc[slot, 3] = left
    gone = 1 if left == 0 else 0
    rest(st, par, lv, phys, plast, co, oc[slot, 0] == 1, oc[slot, 1], -take, -gone, flow_ch, snap)
    if gone:
        delete(keys, oc, slot, st[S_CAP_BITS], st[S_CAP_MASK])
        st[S_N_ORDERS] -= 1


@kernel
def modify_order(st, par, lv, phys, plast, co, keys, oc, oid, is_bid, price, size, snap):
    """Modify: new price and/or size; an unknown order is added (Databento semantics)."""
    slot = find(keys, oid, st[S_CAP_BITS], st[S_CAP_MASK])
    if slot < 0:
        if size > 0:
            add_order(st, par, lv, phys, plast, co, keys, oc, oid, is_bid, price, size, snap)
        return
    tick = price_tick(price, st[S_TICK_INT])
    same = oc[slot, 1] == tick and (oc[slot, 0] == 1) == is_bid
    if size == 0:
        remove_qty(st, par, lv, phys, plast, co, keys, oc, slot, oc[slot, 3], CH_PULL, snap)
    elif same:
        diff = size - oc[slot, 3]
        oc[slot, 3] = size
        oc[slot, 2] = price
        if diff != 0:
            ch = CH_ADD if diff > 0 else CH_PULL
            rest(st, par, lv, phys, plast, co, is_bid, tick, diff, 0, ch, snap)
    else:
        qty = oc[slot, 3]
        rest(st, par, lv, phys, plast, co, oc[slot, 0] == 1, oc[slot, 1], -qty, -1, CH_PULL, snap)
        oc[slot, 0] = 1 if is_bid else 0
        oc[slot, 1] = tick
        oc[slot, 2] = price
        oc[slot, 3] = size
        rest(st, par, lv, phys, plast, co, is_bid, tick, size, 1, CH_ADD, snap)


@kernel
def fill_flow(st, par, lv, phys, plast, co, price, size):
    """Fill: no book change (the matching Cancel does that); feeds fill flow at its level."""
    i = price_tick(price, st[S_TICK_INT]) - st[S_BASE]
    if i < 0 or i >= st[S_N]:
        st[S_OUT_OF_RANGE] += 1
        return
    touch(st, plast, i)
    impulse(phys[i], CH_FILL, float(size), co)


@kernel
def clear_book(st, lv, keys):
    """Clear: empty the order table and all levels (physics state is kept)."""
    keys[:] = 0
    lv[:] = 0
    st[S_N_ORDERS] = 0
    st[S_BEST_BID] = -1
    st[S_BEST_ASK] = -1


@kernel
def recenter(st, lv, phys, plast, keys, oc, centre):
    """Shift the level window so `centre` becomes the middle; rebuild depth from the orders."""
    n = st[S_N]
    d = centre - n // 2
    # in-place shift (no allocation: kernels run without NRT); direction avoids overwrites
    order = range(n) if d > 0 else range(n - 1, -1, -1)
    for i in order:
        j = i + d
        inside = 0 <= j < n
        for c in range(phys.shape[1]):
            phys[i, c] = phys[j, c] if inside else 0.0
        plast[i, 0] = plast[j, 0] if inside else 0
        plast[i, 1] = plast[j, 1] if inside else 0
    st[S_BASE] += d
    lv[:] = 0
    for slot in range(keys.shape[0]):
        if keys[slot] != 0:
            i = oc[slot, 1] - st[S_BASE]
            if 0 <= i < n:
                side = 0 if oc[slot, 0] == 1 else 1
                lv[i, side] += oc[slot, 3]
                lv[i, side + 2] += 1
    st[S_BEST_BID] = scan_best(lv, 0, n - 1, True)
    st[S_BEST_ASK] = scan_best(lv, 1, 0, False)
    st[S_RECENTERS] += 1
