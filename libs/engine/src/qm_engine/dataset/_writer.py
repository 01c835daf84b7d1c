"""Background parquet writing of a dataset: fixed row groups and options, hashed as written.

The builder hands closed bins (and their gold) to `TableWriter.put`; one writer thread turns
them into Arrow tables and parquet row groups while the caller computes the next bins (pyarrow
encodes and compresses without the GIL, the engine and gold kernels run with it released).
Everything that decides the bytes is fixed here: row groups of exactly ROW_GROUP_BINS bins (the
last one shorter), LZ4 pages without dictionaries, statistics on the key columns only; a test
checks the bytes do not depend on the read batch size. Each file's SHA-256 is
updated from the bytes on disk as the file grows (a parquet file is only ever appended to), so
checksums.json needs no second read of the finished files.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from qm_engine.dataset._tables import (
    BINS_SCHEMA,
    GOLD_SCHEMA,
    SILVER_SCHEMA,
    bins_table,
    gold_table,
    silver_table,
)
from qm_engine.engine import BinBlock

ROW_GROUP_BINS = 1024
QUEUE_BLOCKS = 4  # bounded hand-over: memory stays a few blocks whatever the dataset length
# LZ4 without dictionaries: ~7x less CPU than zstd with dictionaries, and smaller files (float
# columns have too many distinct values for dictionaries to pay off); see ADR 0102.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "lz4",
    "use_dictionary": False,
    "write_statistics": ["bin_seq", "ts_ns", "k", "price_int"],
    "write_batch_size": 65536,  # fewer page-size checks: ~10 % less encoding CPU, same pages here
}
_TABLES = (
    ("bins.parquet", BINS_SCHEMA),
    ("silver.parquet", SILVER_SCHEMA),
    ("gold.parquet", GOLD_SCHEMA),
)


class _HashedParquet:
    """A ParquetWriter on a local file plus the SHA-256 of the bytes written so far."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.writer = pq.ParquetWriter(path, schema, **PARQUET_OPTIONS)
        self._reader = path.open("rb", buffering=0)
        self._sha = hashlib.sha256()
        self._buf = bytearray(1 << 22)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)
        self._catch_up()

    def _catch_up(self) -> None:
        view = memoryview(self._buf)
        while n := self._reader.readinto(self._buf):
            self._sha.update(view[:n])

    def close(self) -> str:
        self.writer.close()
        self._catch_up()
        self._reader.close()
        return self._sha.hexdigest()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
        self._reader.close()


class _Tables:
    """Arrow tables of consecutive bins (bins: one row per bin; silver, gold: rows per bin)."""

    def __init__(self, bins: pa.Table, silver: pa.Table, gold: pa.Table) -> None:
        self.bins, self.silver, self.gold = bins, silver, gold

    @property
    def n(self) -> int:
        return int(self.bins.num_rows)

    @staticmethod
    def of(block: BinBlock, gold: Any) -> _Tables:
        return _Tables(bins_table(block), silver_table(block), gold_table(block, gold))

    @staticmethod
    def concat(parts: list[_Tables]) -> _Tables:
        """Zero-copy concatenation (chunked columns)."""
        if len(parts) == 1:
            return parts[0]
        return _Tables(
            pa.concat_tables([p.bins for p in parts]),
            pa.concat_tables([p.silver for p in parts]),
            pa.concat_tables([p.gold for p in parts]),
        )

    def split(self, n: int) -> tuple[_Tables, _Tables]:
        """The first n bins and the rest (zero-copy slices)."""
        rows = self.silver.num_rows // max(self.n, 1)
        head = _Tables(
            self.bins.slice(0, n), self.silver.slice(0, n * rows), self.gold.slice(0, n * rows)
        )
        tail = _Tables(self.bins.slice(n), self.silver.slice(n * rows), self.gold.slice(n * rows))
        return head, tail


class Stage:
    """One worker thread applying `fn` to queued items in order (bounded queue).

    An error in `fn` is raised to the producer by the next `put` or by `close`; the thread
    keeps draining the queue after an error so a blocked `put` always returns.
    """

    def __init__(self, fn: Callable[[Any], None], name: str, finish: Callable[[], None]) -> None:
        self._fn, self._finish = fn, finish
        self._queue: queue.Queue[Any] = queue.Queue(QUEUE_BLOCKS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        """Queue one item (not None)."""
        self._raise()
        self._queue.put(item)

    def close(self) -> None:
        """Process what is queued, run `finish`, and raise the stage's error if any."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Stop after an error elsewhere: queued items are dropped, `finish` does not run."""
        if self._thread.is_alive():
            self._error = self._error or RuntimeError(f"{self._thread.name} aborted")
            self._queue.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._fn(item)
                except BaseException as exc:  # handed to the producer by put/close
                    self._error = exc
        if self._error is None:
            try:
                self._finish()
            except BaseException as exc:
                self._error = exc


class TableWriter:
    """Writes bins/silver/gold parquet under `out` from a background thread (see module doc)."""

    def __init__(self, out: Path) -> None:
        self._files = {name: _HashedParquet(out / name, schema) for name, schema in _TABLES}
        self._pending: list[_Tables] = []
        self._count = 0
        self._sums: dict[str, str] = {}
        self._stage = Stage(self._add, "dataset-writer", self._flush)

    def put(self, block: BinBlock, gold: Any) -> None:
        """Queue closed bins and their gold (n, rows, 9) for writing, in bin order."""
        self._stage.put((block, gold))

    def close(self) -> dict[str, str]:
        """Write what is left, close the files and return their SHA-256 by file name."""
        try:
            self._stage.close()
        except BaseException:
            self._abort_files()
            raise
        return self._sums

    def abort(self) -> None:
        """Stop writing (after an error; the output is discarded)."""
        self._stage.abort()
        self._abort_files()

    def _abort_files(self) -> None:
        for f in self._files.values():
            f.abort()

    def _add(self, item: tuple[BinBlock, Any]) -> None:
        self._pending.append(_Tables.of(*item))
        self._count += len(item[0])
        while self._count >= ROW_GROUP_BINS:
            head, rest = _Tables.concat(self._pending).split(ROW_GROUP_BINS)
            self._write(head)
            self._pending = [rest] if rest.n else []
            self._count -= ROW_GROUP_BINS

    def _flush(self) -> None:
        if self._count:
            self._write(_Tables.concat(self._pending))
        self._sums = {name: f.close() for name, f in self._files.items()}

    def _write(self, tables: _Tables) -> None:
        self._files["bins.parquet"].write(tables.bins)
        self._files["silver.parquet"].write(tables.silver)
        self._files["gold.parquet"].write(tables.gold)


class FileHash:
    """SHA-256 of a file computed by a background thread (file reads and hashlib drop the GIL)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._digest: str | None = None
        self._error: BaseException | None = None
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dataset-source-hash", daemon=True)
        self._thread.start()

    def done(self) -> bool:
        """Whether the digest (or an error) is ready."""
        return not self._thread.is_alive()

    def result(self) -> str:
        """The hex digest (waits for it)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest

    def cancel(self) -> None:
        """Stop reading (the result is not needed any more)."""
        self._cancel.set()

    def _run(self) -> None:
        try:
            sha = hashlib.sha256()
            buf = bytearray(1 << 22)
            view = memoryview(buf)
            with self._path.open("rb", buffering=0) as fh:
                while (n := fh.readinto(buf)) and not self._cancel.is_set():
                    sha.update(view[:n])
            self._digest = sha.hexdigest()
        except BaseException as exc:  # raised by result()
            self._error = exc
