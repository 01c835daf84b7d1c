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


@kernel
def _silver_columns(
    seq: np.ndarray,
    labels: np.ndarray,
    silver_f: np.ndarray,
    silver_i: np.ndarray,
    f64: np.ndarray,
    i64: np.ndarray,
    i32: np.ndarray,
    i8: np.ndarray,
) -> None:
    """Column-major silver of a block in one pass: f64 (24, N) the floats; i64 (3, N) bin_seq,
    price_int, last_event_id; i32 (3, N) k and the two move labels; i8 (5, N) the rest."""
    n, rows = silver_i.shape[0], silver_i.shape[1]
    for b in range(n):
        for r in range(rows):
            j = b * rows + r
            i64[0, j] = seq[b]
            i64[1, j] = silver_i[b, r, 1]
            i64[2, j] = silver_i[b, r, 2]
            i32[0, j] = silver_i[b, r, 0]
            i32[1, j] = labels[b, 0]
            i32[2, j] = labels[b, 1]
            for c in range(5):
                i8[c, j] = labels[b, 2 + c]
            for c in range(f64.shape[0]):
                f64[c, j] = silver_f[b, r, c]


_SILVER_ROWS = {
    "bin_seq": ("i64", 0),
    "price_int": ("i64", 1),
    "last_event_id": ("i64", 2),
    "k": ("i32", 0),
    **{
        name: ("i32" if i < 2 else "i8", i + 1 if i < 2 else i - 2)
        for i, name in enumerate(_LABELS)
    },
    **{name: ("f64", i) for i, name in enumerate(_FLOATS)},
}


def silver_table(block: BinBlock) -> pa.Table:
    """One row per (bin, k): the dense 2R+1 window with every silver column."""
    n, rows = block.silver_i.shape[:2]
    bufs = {
        "f64": np.empty((len(_FLOATS), n * rows), dtype=np.float64),
        "i64": np.empty((3, n * rows), dtype=np.int64),
        "i32": np.empty((3, n * rows), dtype=np.int32),
        "i8": np.empty((5, n * rows), dtype=np.int8),
    }
    _silver_columns(
        np.ascontiguousarray(block.meta[:, lay.B_SEQ]),
        np.ascontiguousarray(block.labels),
        np.ascontiguousarray(block.silver_f),
        np.ascontiguousarray(block.silver_i),
        *bufs.values(),
    )
    cols = {name: bufs[kind][row] for name, (kind, row) in _SILVER_ROWS.items()}
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
