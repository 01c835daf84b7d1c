"""Result tables as parquet (one row per run; one row per run and threshold) and DuckDB queries.

Each finished run is written at once as its own part file, so a crash or a cancel keeps what
finished; the experiment then consolidates the parts into runs.parquet and thresholds.parquet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from qm_research.expansion import RunSpec

_ROW_METRICS: tuple[tuple[str, pa.DataType], ...] = (
    ("n_signals", pa.int64()),
    ("n_up", pa.int64()),
    ("n_down", pa.int64()),
    ("tp_rate", pa.float64()),
    ("sl_rate", pa.float64()),
    ("timeout_rate", pa.float64()),
    ("mean_pnl_ticks", pa.float64()),
    ("median_pnl_ticks", pa.float64()),
    ("events_per_hour", pa.float64()),
    ("median_time_to_outcome_ms", pa.float64()),
    *(
        (f"{p}_{k}", t)
        for p in ("is", "oos")
        for k, t in (
            ("n_signals", pa.int64()),
            ("tp_rate", pa.float64()),
            ("sl_rate", pa.float64()),
            ("mean_pnl_ticks", pa.float64()),
            ("events_per_hour", pa.float64()),
        )
    ),
)
_KEYS = (
    ("run_id", pa.string()),
    ("run_index", pa.int64()),
    ("dataset_id", pa.string()),
    ("signal", pa.string()),
    ("tp_ticks", pa.int64()),
    ("sl_ticks", pa.int64()),
    ("cooldown_bins", pa.int64()),
)
THRESHOLD_SCHEMA = pa.schema(
    [*_KEYS, ("threshold", pa.float64()), ("threshold_kind", pa.string()), *_ROW_METRICS]
)
RUN_METRICS: tuple[tuple[str, pa.DataType], ...] = (
    ("n_thresholds", pa.int64()),
    ("best_threshold", pa.float64()),
    *_ROW_METRICS,
)
RUN_SCHEMA = pa.schema(
    [
        *_KEYS,
        ("experiment_name", pa.string()),
        ("spec_hash", pa.string()),
        ("code_version", pa.string()),
        ("params_json", pa.string()),
        ("max_hold_bins", pa.int64()),
        ("warmup_bins", pa.int64()),
        ("cost_ticks", pa.float64()),
        ("one_position", pa.bool_()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("duration_s", pa.float64()),
        *RUN_METRICS,
    ]
)


@cache
def code_version() -> str:
    """Package version plus a hash of the package's source files (changes with the code)."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return f"qm-research {metadata.version('qm-research')}+{h.hexdigest()[:12]}"


def _keys(rs: RunSpec) -> dict[str, Any]:
    return {
        "run_id": rs.run_id,
        "run_index": rs.index,
        "dataset_id": rs.dataset_id,
        "signal": rs.signal,
        "tp_ticks": rs.tp_ticks,
        "sl_ticks": rs.sl_ticks,
        "cooldown_bins": rs.cooldown_bins,
    }


def run_row(
    rs: RunSpec, status: str, metrics: dict[str, Any], error: str | None, duration_s: float
) -> dict[str, Any]:
    """The runs.parquet row of one run (metrics null when it failed)."""
    row = {
        **_keys(rs),
        "experiment_name": rs.experiment_name,
        "spec_hash": rs.spec_hash,
        "code_version": code_version(),
        "params_json": json.dumps(rs.params, sort_keys=True, separators=(",", ":")),
        "max_hold_bins": rs.max_hold_bins,
        "warmup_bins": rs.warmup_bins,
        "cost_ticks": rs.cost_ticks,
        "one_position": rs.one_position,
        "status": status,
        "error": error,
        "duration_s": duration_s,
    }
    row.update({name: metrics.get(name) for name, _ in RUN_METRICS})
    return row


def threshold_rows(rs: RunSpec, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """thresholds.parquet rows of one run."""
    names = THRESHOLD_SCHEMA.names
    return [{k: {**_keys(rs), **r}.get(k) for k in names} for r in rows]


def write_part(parts: Path, index: int, run: dict[str, Any], thr: list[dict[str, Any]]) -> None:
    """Write one finished run's rows as part files (atomically, by rename)."""
    parts.mkdir(parents=True, exist_ok=True)
    for stem, rows, schema in (("run", [run], RUN_SCHEMA), ("thr", thr, THRESHOLD_SCHEMA)):
        tmp = parts / f".{stem}-{index:06d}.tmp"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
        tmp.replace(parts / f"{stem}-{index:06d}.parquet")


def consolidate(out_dir: Path, run_ids: set[str]) -> list[Path]:
    """Merge the part files of this experiment's runs into runs.parquet and thresholds.parquet."""
    parts = out_dir / "parts"
    out = []
    for stem, name, schema in (
        ("run", "runs.parquet", RUN_SCHEMA),
        ("thr", "thresholds.parquet", THRESHOLD_SCHEMA),
    ):
        tables = [pq.read_table(p, schema=schema) for p in sorted(parts.glob(f"{stem}-*.parquet"))]
        table = pa.concat_tables([schema.empty_table(), *tables])
        mask = [rid in run_ids for rid in table.column("run_id").to_pylist()]
        table = table.filter(pa.array(mask, type=pa.bool_())).sort_by("run_index")
        pq.write_table(table, out_dir / name)
        out.append(out_dir / name)
    return out


def connect(out_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with views `runs` and `thresholds` over the artifacts."""
    con = duckdb.connect()
    for view, name in (("runs", "runs.parquet"), ("thresholds", "thresholds.parquet")):
        path = str(out_dir / name).replace("'", "''")
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet('{path}')")  # noqa: S608
    return con


def query(out_dir: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Run SQL over the `runs` and `thresholds` views; rows as dicts."""
    con = connect(out_dir)
    try:
        cur = con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
