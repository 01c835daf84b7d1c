"""Arrow tables of one block of bins: bins, silver (dense window rows) and gold."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from qm_engine import _layout as lay
from qm_engine._jit import kernel
from qm_engine.engine import BinBlock
from qm_engine.fields import BIN_FIELDS, GOLD_FIELDS, SILVER_FIELDS
from qm_engine.gold import GOLD_COLUMNS

_META_COLS = {
    "bin_seq": lay.B_SEQ,
    "ts_ns": lay.B_TS,
    "bin_start_ns": lay.B_START,
    "bin_end_ns": lay.B_END,
    "bin_event_count": lay.B_COUNT,
    "event_id": lay.B_EVENT,
    "best_bid_price_int": lay.B_BID_PX,
    "best_ask_price_int": lay.B_ASK_PX,
    "spot_ref_price_int": lay.B_SPOT_PX,
    "center_price_int": lay.B_CENTER_PX,
    "spread_ticks": lay.B_SPREAD,
}
_SILVER_INT = {"k": 0, "price_int": 1, "last_event_id": 2}
_LABELS = (
    "best_ask_move_ticks",
    "best_bid_move_ticks",
    "ask_reprice_sign",
    "bid_reprice_sign",
    "microstate_id",
    "chase_up_flag",
    "chase_down_flag",
)
_FLOATS = [f.name for f in SILVER_FIELDS if f.dtype == "float64"]


def _schema(specs: tuple[object, ...], keys: tuple[str, ...] = ()) -> pa.Schema:
    fields = [pa.field(k, pa.int64()) for k in keys]
    fields += [pa.field(s.name, pa.from_numpy_dtype(np.dtype(s.dtype))) for s in specs]  # type: ignore[attr-defined]
    return pa.schema(fields)


BINS_SCHEMA = _schema(BIN_FIELDS)
SILVER_SCHEMA = _schema(SILVER_FIELDS, ("bin_seq",))
GOLD_SCHEMA = _schema(
    tuple(f for f in SILVER_FIELDS if f.name in ("k", "price_int")) + GOLD_FIELDS, ("bin_seq",)
)


@kernel
def _transpose(src: np.ndarray, dst: np.ndarray) -> None:
    """dst[c, i] = src[i, c]: one sequential pass (a strided copy per column reads src 24x)."""
    for i in range(src.shape[0]):
        for c in range(src.shape[1]):
            dst[c, i] = src[i, c]


def _columns(a: np.ndarray) -> np.ndarray:
    """(rows, cols) -> contiguous (cols, rows)."""
    out = np.empty((a.shape[1], a.shape[0]), dtype=a.dtype)
    _transpose(np.ascontiguousarray(a), out)
    return out


def _arrow(values: np.ndarray, typ: pa.DataType) -> pa.Array:
    """A null-free Arrow array over a numpy column (no copy when already contiguous).

    Built from buffers rather than pa.array: pa.array imports pandas (about 1 s) to check its
    argument's type.
    """
    if typ == pa.bool_():
        bits = np.packbits(values.astype(np.bool_), bitorder="little")
        return pa.Array.from_buffers(typ, len(values), [None, pa.py_buffer(bits)])
    col = np.ascontiguousarray(values, dtype=typ.to_pandas_dtype())
    return pa.Array.from_buffers(typ, len(col), [None, pa.py_buffer(col)])


def _table(cols: dict[str, np.ndarray], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays([_arrow(cols[f.name], f.type) for f in schema], schema=schema)


def bins_table(block: BinBlock) -> pa.Table:
    """One row per bin: the bin metadata."""
    m = block.meta
    cols = {name: m[:, idx] for name, idx in _META_COLS.items()}
    both = (m[:, lay.B_BID_PX] > 0) & (m[:, lay.B_ASK_PX] > 0)
    cols["mid_price"] = np.where(both, (m[:, lay.B_BID_PX] + m[:, lay.B_ASK_PX]) * 0.5e-9, 0.0)
    cols["book_valid"] = m[:, lay.B_VALID] == 1
    return _table(cols, BINS_SCHEMA)


def silver_table(block: BinBlock) -> pa.Table:
    """One row per (bin, k): the dense 2R+1 window with every silver column."""
    n, rows = block.silver_i.shape[:2]
    cols: dict[str, np.ndarray] = {"bin_seq": np.repeat(block.meta[:, lay.B_SEQ], rows)}
    flat_f = _columns(block.silver_f.reshape(n * rows, -1))
    flat_i = _columns(block.silver_i.reshape(n * rows, -1))
    for f in SILVER_FIELDS:
        if f.name in _SILVER_INT:
            cols[f.name] = flat_i[_SILVER_INT[f.name]]
        elif f.name in _LABELS:
            cols[f.name] = np.repeat(block.labels[:, _LABELS.index(f.name)], rows)
        else:
            cols[f.name] = flat_f[_FLOATS.index(f.name)]
    return _table(cols, SILVER_SCHEMA)


def gold_table(block: BinBlock, gold: np.ndarray) -> pa.Table:
    """One row per (bin, k): gold features next to their keys."""
    n, rows = block.silver_i.shape[:2]
    flat = _columns(gold.reshape(n * rows, -1))
    cols: dict[str, np.ndarray] = {
        "bin_seq": np.repeat(block.meta[:, lay.B_SEQ], rows),
        "k": block.silver_i[:, :, 0].reshape(-1),
        "price_int": block.silver_i[:, :, 1].reshape(-1),
    }
    for f in GOLD_FIELDS:
        cols[f.name] = flat[GOLD_COLUMNS.index(f.name)]
    return _table(cols, GOLD_SCHEMA)
