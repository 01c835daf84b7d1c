"""Event-time physics per absolute price level in modal form (numba kernels).

Each channel (add, pull, fill, bid depth, ask depth) drives a linear cascade
    dv/dt = p (r - v),  da/dt = q (dv/dt - a),  dj/dt = s (da/dt - j)
with p = 1/tau_velocity, q = 1/tau_acceleration, s = 1/tau_jerk and r(t) a sum of impulses
(the quantity changes of events). The response to an impulse is a sum of the three modes
exp(-p t), exp(-q t), exp(-s t), so a channel's whole state is three mode sums
    M_k(t) = sum_i d_i exp(-l_k (t - t_i)),
and (v, a, j) = H M. Masses are one more mode at rate 1/tau_rest_decay. Mode sums are stored
relative to an epoch T0 (A_k = M_k(T0 scaled)), so an event costs a few multiply-adds and a
sample at time t costs one exp per rate for all levels. T0 moves only at fixed multiples of
EPOCH_NS of event time, so the state never depends on when bins are sampled.
"""

# mypy: disallow-untyped-defs=False, disallow-incomplete-defs=False

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from qm_engine._jit import kernel, leaf

# P (float64 params) slots: rates then H (3x3, row-major: v, a, j over modes p, q, s)
P_P, P_Q, P_S, P_R, P_H = 0, 1, 2, 3, 4
N_PARAMS = 13
EPOCH_NS = 32_000_000_000
# G (float64 scratch) slots: growth factors exp(l (now - T0)) for p, q, s, r
N_SCRATCH = 8


@leaf
def growth(par, t0, now, g):
    """g[k] = exp(l_k (now - t0)) for the four rates."""
    dt = (now - t0) * 1e-9
    for k in range(4):
        g[k] = math.exp(par[k] * dt)


@kernel
def rebase(par, phys, t0, t1):
    """Move every level's mode amplitudes from epoch t0 to the later epoch t1."""
    dt = (t1 - t0) * 1e-9
    fp = math.exp(-par[P_P] * dt)
    fq = math.exp(-par[P_Q] * dt)
    fs = math.exp(-par[P_S] * dt)
    fr = math.exp(-par[P_R] * dt)
    for i in range(phys.shape[0]):
        row = phys[i]
        row[0] *= fr
        row[1] *= fr
        row[2] *= fr
        for c in range(5):
            b = 3 + 3 * c
            row[b] *= fp
            row[b + 1] *= fq
            row[b + 2] *= fs


@leaf
def impulse(row, ch, d, g):
    """Add an event of quantity d on channel ch (mass only for add/pull/fill)."""
    if ch < 3:
        row[ch] += d * g[3]
    b = 3 + 3 * ch
    row[b] += d * g[0]
    row[b + 1] += d * g[1]
    row[b + 2] += d * g[2]


@kernel
def sample(row, par, decay, f):
    """Silver floats of one level from its amplitudes and decay[k] = exp(-l_k (t - T0))."""
    h = par[P_H:]
    dp, dq, ds, dr = decay[0], decay[1], decay[2], decay[3]
    f[0], f[1], f[2] = row[0] * dr, row[1] * dr, row[2] * dr
    for c in range(5):
        b = 3 + 3 * c
        mp, mq, ms = row[b] * dp, row[b + 1] * dq, row[b + 2] * ds
        col = c if c < 3 else c + 1  # silver order: add, pull, fill, rest, bid, ask
        f[6 + col] = h[0] * mp
        f[12 + col] = h[3] * mp + h[4] * mq
        f[18 + col] = h[6] * mp + h[7] * mq + h[8] * ms
    for d in range(3):
        b = 6 + 6 * d
        f[b + 3] = f[b + 4] + f[b + 5]


def make_params(
    tau_velocity: float, tau_acceleration: float, tau_jerk: float, tau_rest_decay: float
) -> npt.NDArray[np.float64]:
    """Rates and the impulse-response matrix H (taus must be pairwise distinct)."""
    p, q, s = 1.0 / tau_velocity, 1.0 / tau_acceleration, 1.0 / tau_jerk
    a_p, a_q = -p * p * q / (q - p), p * q * q / (q - p)
    j_p = s * (-p * a_p) / (s - p)
    j_q = s * (-q * a_q) / (s - q)
    j_s = p * q * s - j_p - j_q
    h = [p, 0.0, 0.0, a_p, a_q, 0.0, j_p, j_q, j_s]
    return np.array([p, q, s, 1.0 / tau_rest_decay, *h], dtype=np.float64)
