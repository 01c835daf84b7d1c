"""Open-addressing order table (order_id -> slot) with backward-shift deletion, for numba."""

# mypy: disallow-untyped-defs=False, disallow-incomplete-defs=False

from __future__ import annotations

import numpy as np

from qm_engine._jit import kernel, leaf


@leaf
def home(oid, bits):
    """Home slot of an order id: low bits folded with higher ones.

    Venue order ids mostly increase, so keeping the low bits keeps consecutive orders in
    nearby slots (cache friendly); folding in higher bits spreads strided id schemes.
    """
    x = np.uint64(oid)
    x ^= (x >> np.uint64(bits)) ^ (x >> np.uint64(2 * bits)) ^ (x >> np.uint64(48))
    return np.int64(x & np.uint64((1 << bits) - 1))


@leaf
def find(keys, oid, bits, mask):
    """Slot of oid, or -1."""
    i = home(oid, bits)
    while True:
        k = keys[i]
        if k == oid:
            return i
        if k == 0:
            return -1
        i = (i + 1) & mask


@leaf
def slot_for_insert(keys, oid, bits, mask):
    """Slot holding oid, or the empty slot where it goes."""
    i = home(oid, bits)
    while True:
        k = keys[i]
        if k == oid or k == 0:
            return i
        i = (i + 1) & mask


@kernel
def delete(keys, cols, slot, bits, mask):
    """Remove the entry at slot, shifting later entries of the probe run back."""
    i = slot
    keys[i] = 0
    j = i
    while True:
        j = (j + 1) & mask
        k = keys[j]
        if k == 0:
            return
        h = home(k, bits)
        # entry j may fill hole i only if its home is not cyclically within (i, j]
        if (i <= j and i < h <= j) or (i > j and (h > i or h <= j)):
            continue
        keys[i] = k
        for c in range(4):
            cols[i, c] = cols[j, c]
        keys[j] = 0
        i = j


@kernel
def rehash(keys, cols, new_keys, new_cols, bits, mask):
    """Move every live entry of (keys, cols) into the larger (new_keys, new_cols)."""
    for slot in range(keys.shape[0]):
        oid = keys[slot]
        if oid != 0:
            j = slot_for_insert(new_keys, oid, bits, mask)
            new_keys[j] = oid
            for c in range(4):
                new_cols[j, c] = cols[slot, c]
