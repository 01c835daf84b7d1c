"""Gold VP features, one kernel for batch (datasets) and incremental (serving) use.

    state = GoldState(params, rows=2 * R + 1, tick_int=instrument_tick_int)
    gold = state.step(meta, silver_f, price_int)   # one bin; call in bin order
    golds = state.steps(metas, silver_fs, price_ints)   # a block of bins, same kernel per bin

`gold_batch` and `GoldState.steps` run the one-bin kernel of `GoldState.step` bin after bin
(inside one compiled loop), so batch and serving outputs are bit-identical by construction
(and a test checks it).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from qm_engine import _gold
from qm_engine import _layout as lay
from qm_engine.fields import GOLD_NAMES, EngineParams
from qm_engine.params import validate_params

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
N_GOLD = len(GOLD_NAMES)
# gold output columns; codes (state5_code, flow_state_code) are cast to int8 when written
GOLD_COLUMNS = (
    "pressure_variant",
    "vacuum_variant",
    "composite",
    "composite_d1",
    "composite_d2",
    "composite_d3",
    "state5_code",
    "flow_score",
    "flow_state_code",
)
assert set(GOLD_COLUMNS) == set(GOLD_NAMES)


def gold_params(params: EngineParams, tick_int: int) -> F64:
    """The float64 parameter vector of the gold kernel."""
    p = params
    head = [
        p.c1_v_add,
        p.c2_v_rest_pos,
        p.c3_a_add,
        p.c4_v_pull,
        p.c5_v_fill,
        p.c6_v_rest_neg,
        p.c7_a_pull,
        p.flow_tanh_scale,
        p.flow_neutral_threshold,
        p.cell_width_ms / 1000.0,
        float(len(p.flow_windows)),
        float(p.flow_zscore_window_bins),
        float(p.flow_zscore_min_periods),
        *p.flow_derivative_weights,
    ]
    head += [0.0] * (_gold.G_TICK - len(head)) + [float(tick_int)]
    return np.array([*head, *p.flow_windows, *p.flow_rollup_weights], dtype=np.float64)


class GoldState:
    """Per-absolute-level gold state; `step` consumes one silver bin and returns its gold rows."""

    def __init__(self, params: EngineParams, rows: int, tick_int: int) -> None:
        p = validate_params(params)
        self.gp = gold_params(p, tick_int)
        self.rows = rows
        slots = 1 << max(8, int(4 * rows - 1).bit_length())
        wmax, zwin = max(p.flow_windows), p.flow_zscore_window_bins
        self.s_tick = np.full(slots, -1, dtype=np.int64)
        self.s_last = np.full(slots, -2, dtype=np.int64)
        self.s_count = np.zeros(slots, dtype=np.int64)
        self.comp = np.zeros((slots, wmax), dtype=np.float64)
        self.prev = np.zeros((slots, 3), dtype=np.float64)
        self.zr = np.zeros((slots, 3, zwin), dtype=np.float64)
        self.zs = np.zeros((slots, 3, zwin + 1), dtype=np.float64)
        self.zcnt = np.zeros((slots, 3), dtype=np.int64)
        self.zpos = np.zeros((slots, 3), dtype=np.int64)
        self.pre = np.zeros(wmax + 1, dtype=np.float64)  # rollup scratch
        self._meta = np.zeros(6, dtype=np.int64)

    def _state(self) -> tuple[npt.NDArray[np.generic], ...]:
        return (
            self.s_tick,
            self.s_last,
            self.s_count,
            self.comp,
            self.prev,
            self.zr,
            self.zs,
            self.zcnt,
            self.zpos,
            self.pre,
        )

    def step(self, meta: I64, silver_f: F64, price_int: I64) -> F64:
        """Gold (rows, 9) of one bin; meta = (bin_seq, book_valid, bid_px, ask_px, ask_sign,
        bid_sign); silver_f = the bin's (rows, 24) silver floats; price_int = row prices."""
        out = np.zeros((self.rows, N_GOLD), dtype=np.float64)
        self._meta[:] = meta
        _gold.gold_step(
            self.gp,
            self._meta,
            np.ascontiguousarray(silver_f, dtype=np.float64),
            np.ascontiguousarray(price_int, dtype=np.int64),
            out,
            *self._state(),
        )
        return out

    def steps(self, meta: I64, silver_f: F64, price_int: I64) -> F64:
        """Gold (n, rows, 9) of n consecutive bins: `step` for each, in one kernel call;
        meta (n, 6), silver_f (n, rows, 24), price_int (n, rows)."""
        n = meta.shape[0]
        out = np.zeros((n, self.rows, N_GOLD), dtype=np.float64)
        if n:
            _gold.gold_steps(
                self.gp,
                np.ascontiguousarray(meta, dtype=np.int64),
                np.ascontiguousarray(silver_f, dtype=np.float64),
                np.ascontiguousarray(price_int, dtype=np.int64),
                out,
                *self._state(),
            )
        return out


def gold_meta(bins: I64, labels: I64) -> I64:
    """Per-bin gold inputs (n, 6) from engine bin meta (n, 12) and labels (n, 7)."""
    return np.stack(
        [
            bins[:, lay.B_SEQ],
            bins[:, lay.B_VALID],
            bins[:, lay.B_BID_PX],
            bins[:, lay.B_ASK_PX],
            labels[:, 2],
            labels[:, 3],
        ],
        axis=1,
    )


def gold_batch(
    params: EngineParams, tick_int: int, meta: I64, silver_f: F64, price_int: I64
) -> F64:
    """Gold for a whole dataset (n_bins, rows, 9): the incremental step, bin after bin."""
    return GoldState(params, price_int.shape[1], tick_int).steps(meta, silver_f, price_int)
