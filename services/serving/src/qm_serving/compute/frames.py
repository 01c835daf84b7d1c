"""Wire encoding of one bin: the Arrow IPC frame of its rows and its grid_update header text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

NUMPY_TYPES: Mapping[str, str] = {"int8": "i1", "int32": "<i4", "int64": "<i8", "float64": "<f8"}
ARROW_TYPES: Mapping[str, pa.DataType] = {
    "int8": pa.int8(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
}
# Per-bin integers that exceed 2**53: sent as strings so JavaScript keeps every digit.
STRING_INTS = (
    "ts_ns",
    "bin_start_ns",
    "bin_end_ns",
    "spot_ref_price_int",
    "best_bid_price_int",
    "best_ask_price_int",
    "center_price_int",
    "event_id",
)


def arrow_schema(fields: Sequence[tuple[str, str]]) -> pa.Schema:
    """The frame schema: one non-null column per declared (name, dtype), in declared order."""
    return pa.schema([pa.field(name, ARROW_TYPES[dtype], nullable=False) for name, dtype in fields])


def encode_frame(schema: pa.Schema, columns: Mapping[str, npt.NDArray[Any]]) -> bytes:
    """An Arrow IPC stream (schema, one record batch, end-of-stream) of the declared columns."""
    arrays = [
        pa.array(
            np.asarray(
                columns[f.name], dtype=NUMPY_TYPES[str(f.type).replace("double", "float64")]
            ),
            type=f.type,
        )
        for f in schema
    ]
    batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def decode_frame(frame: bytes) -> pa.Table:
    """The table inside one frame (clients and tests)."""
    return pa.ipc.open_stream(frame).read_all()


def header_prefix(meta: Mapping[str, Any]) -> str:
    """The grid_update JSON without its closing brace; each subscriber appends its drop count."""
    body = {"type": "grid_update"}
    for key, value in meta.items():
        body[key] = str(value) if key in STRING_INTS else value
    text = json.dumps(body, separators=(",", ":"))
    return text[:-1]


def header_text(prefix: str, dropped_since_last: int) -> str:
    """The complete grid_update header for one subscriber."""
    return f'{prefix},"dropped_since_last":{dropped_since_last}}}'


OP_TEXT, OP_BINARY = 0x1, 0x2


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked WebSocket frame (RFC 6455 §5.2), as a server sends it."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


def wire_pair(header: str, frame: bytes) -> bytes:
    """A grid_update header (text) and its Arrow frame (binary), framed for the wire."""
    return ws_frame(OP_TEXT, header.encode()) + ws_frame(OP_BINARY, frame)
