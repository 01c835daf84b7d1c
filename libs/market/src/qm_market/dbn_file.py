"""DbnFileSource: stream MBO batches from .dbn / .dbn.zst files in bounded memory."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import databento_dbn as dbn
import numpy as np
import zstandard

from qm_core.errors import Invalid, NotFound
from qm_market.envelope import (
    F_SNAPSHOT,
    MBO_DTYPE,
    MBO_LENGTH_WORDS,
    RTYPE_MBO,
    Cursor,
    MarketBatch,
    MboArray,
    SourceInfo,
    advance_cursor,
)

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
DEFAULT_CHUNK_BYTES = 56 * 131072  # ~7 MiB: ~131 k records per batch
_MBO_HEAD = np.uint16(MBO_LENGTH_WORDS | RTYPE_MBO << 8)  # little-endian (length, rtype)


def _open_stream(path: Path) -> IO[bytes]:
    raw = path.open("rb")
    head = raw.read(4)
    raw.seek(0)
    if head == ZSTD_MAGIC:
        return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
    return raw


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    parts: list[bytes] = []
    while n > 0:
        chunk = stream.read(n)
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def symbol_map(metadata: Any) -> dict[int, str]:
    """instrument_id -> raw symbol from DBN metadata mappings (stype_out instrument_id)."""
    out: dict[int, str] = {}
    for raw_symbol, intervals in (metadata.mappings or {}).items():
        for interval in intervals:
            sym = interval["symbol"] if isinstance(interval, dict) else interval.symbol
            if str(sym).isdigit():
                out[int(sym)] = str(raw_symbol)
    return out


def _walk_mixed(buf: bytes) -> tuple[MboArray, int]:
    """Pick the MBO records out of a buffer of mixed record types; returns (records, consumed)."""
    view = np.frombuffer(buf, dtype=np.uint8)
    keep: list[int] = []
    pos = 0
    while pos < len(buf):
        size = int(view[pos]) * 4
        if size == 0:
            raise Invalid("corrupt DBN: record with zero length")
        if pos + size > len(buf):
            break
        if view[pos + 1] == RTYPE_MBO and size == MBO_DTYPE.itemsize:
            keep.append(pos)
        pos += size
    idx = np.asarray(keep, dtype=np.int64)
    rows = view[idx[:, None] + np.arange(MBO_DTYPE.itemsize)] if keep else view[:0].reshape(0, 56)
    return np.ascontiguousarray(rows).view(MBO_DTYPE).reshape(-1), pos


class DbnFileSource:
    """Iterates MarketBatch objects over one DBN file (MBO schema), optionally filtered.

    Records are zero-copy views over each decoded chunk when no filter drops records. Records
    carrying F_SNAPSHOT always pass the time filter (their ts_event is the original entry time).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        instrument_ids: set[int] | None = None,
        symbol: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise NotFound(f"DBN file not found: {self.path}")
        self.chunk_bytes = max(MBO_DTYPE.itemsize, chunk_bytes - chunk_bytes % 56)
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.metadata = self._read_metadata()
        self.symbols = symbol_map(self.metadata)
        self.instrument_ids = self._resolve_instruments(instrument_ids, symbol)
        schema = self.metadata.schema
        self.schema = "mixed" if schema is None else str(schema)
        self.source = SourceInfo(
            kind="dbn-file",
            location=self.path.name,
            dataset=str(self.metadata.dataset),
            schema=self.schema,
            start_ns=int(self.metadata.start),
            end_ns=int(self.metadata.end or 0),
        )

    def _read_metadata(self) -> Any:
        try:
            with _open_stream(self.path) as stream:
                prefix = _read_exact(stream, 8)
                if len(prefix) < 8 or prefix[:3] != b"DBN":
                    raise Invalid(f"not a DBN file (bad header): {self.path.name}")
                (length,) = struct.unpack("<I", prefix[4:8])
                body = _read_exact(stream, length)
        except zstandard.ZstdError as exc:
            raise Invalid(f"corrupt zstd stream in {self.path.name}: {exc}") from exc
        if len(body) < length:
            raise Invalid(f"truncated DBN metadata in {self.path.name}")
        try:
            meta = dbn.Metadata.decode(prefix + body)
        except Exception as exc:
            raise Invalid(f"corrupt DBN metadata in {self.path.name}: {exc}") from exc
        self._body_offset = 8 + length
        if meta.schema is not None and meta.schema != dbn.Schema.MBO:
            raise Invalid(f"{self.path.name}: schema is {meta.schema}, not mbo (MBO required)")
        return meta

    def _resolve_instruments(self, ids: set[int] | None, symbol: str | None) -> set[int] | None:
        if symbol is None:
            return ids
        found = {iid for iid, sym in self.symbols.items() if sym == symbol}
        if not found:
            known = ", ".join(sorted(set(self.symbols.values()))) or "none"
            raise NotFound(f"instrument {symbol!r} not in {self.path.name} (symbols: {known})")
        return found if ids is None else found & ids

    def __iter__(self) -> Iterator[MarketBatch]:
        cursor: Cursor | None = None
        for records in self.iter_records():
            cursor = advance_cursor(cursor, records["ts_event"])
            assert cursor is not None
            yield MarketBatch(records, self.symbols, self.source, cursor)

    def iter_records(self) -> Iterator[MboArray]:
        """Just the record arrays (filtered, non-empty), for hot loops: no cursor or envelope."""
        for records in self._chunks():
            records = self._filter(records)
            if records.shape[0]:
                yield records

    def _filter(self, rec: MboArray) -> MboArray:
        mask: np.ndarray[Any, np.dtype[np.bool_]] | None = None
        if self.instrument_ids is not None and len(self.instrument_ids) == 1:
            (only,) = self.instrument_ids
            mask = rec["instrument_id"] == np.uint32(only)
        elif self.instrument_ids is not None:
            ids = np.fromiter(self.instrument_ids, dtype=np.uint32)
            mask = np.isin(rec["instrument_id"], ids)
        if self.start_ns is not None or self.end_ns is not None:
            ts = rec["ts_event"]
            keep = (rec["flags"] & F_SNAPSHOT) != 0
            inside = np.ones(ts.shape[0], dtype=bool)
            if self.start_ns is not None:
                inside &= ts >= np.uint64(self.start_ns)
            if self.end_ns is not None:
                inside &= ts < np.uint64(self.end_ns)
            keep |= inside
            mask = keep if mask is None else mask & keep
        return rec if mask is None or bool(mask.all()) else rec[mask]

    def _chunks(self) -> Iterator[MboArray]:
        try:
            with _open_stream(self.path) as stream:
                _read_exact(stream, self._body_offset)
                yield from self._chunks_from(stream)
        except zstandard.ZstdError as exc:
            raise Invalid(f"corrupt zstd stream in {self.path.name}: {exc}") from exc

    def _chunks_from(self, stream: IO[bytes]) -> Iterator[MboArray]:
        carry = b""
        while True:
            data = _read_exact(stream, self.chunk_bytes)
            buf = carry + data if carry else data
            if not buf:
                return
            if not data:
                raise Invalid(f"truncated DBN in {self.path.name}: {len(buf)} trailing bytes")
            records, consumed = self._decode(buf)
            carry = buf[consumed:]
            yield records

    def _decode(self, buf: bytes) -> tuple[MboArray, int]:
        whole = len(buf) - len(buf) % MBO_DTYPE.itemsize
        if self.schema == "mbo" and whole:
            rec = np.frombuffer(buf, dtype=MBO_DTYPE, count=whole // 56)
            # length and rtype are the first two bytes: one strided uint16 compare checks both
            head = np.ndarray((rec.shape[0],), dtype="<u2", buffer=buf, strides=(56,))
            if not bool((head != _MBO_HEAD).any()):
                return rec, whole
            raise Invalid(f"corrupt DBN in {self.path.name}: record with bad length/rtype")
        if self.schema == "mbo":
            return np.zeros(0, dtype=MBO_DTYPE), 0
        return _walk_mixed(buf)


def read_all(path: str | Path, **kwargs: Any) -> MboArray:
    """Every (filtered) MBO record of a file in one array; for small files and tests."""
    parts = list(DbnFileSource(path, **kwargs).iter_records())
    return np.concatenate(parts) if parts else np.zeros(0, dtype=MBO_DTYPE)


def write_dbn(path: str | Path, metadata: Any, chunks: Iterator[MboArray], *, zstd: bool) -> int:
    """Write metadata plus record chunks as .dbn or .dbn.zst; returns the record count."""
    n = 0
    with Path(path).open("wb") as fh:
        sink: IO[bytes] = fh
        writer = zstandard.ZstdCompressor(level=3).stream_writer(fh) if zstd else None
        if writer is not None:
            sink = writer
        sink.write(bytes(metadata))
        for chunk in chunks:
            sink.write(np.ascontiguousarray(chunk, dtype=MBO_DTYPE).tobytes())
            n += int(chunk.shape[0])
        if writer is not None:
            writer.flush(zstandard.FLUSH_FRAME)
    return n


__all__ = ["DbnFileSource", "read_all", "symbol_map", "write_dbn"]
