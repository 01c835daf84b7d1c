"""Gold columns recomputed from a dataset's silver with other flow-scoring parameters.

A `sweep.scoring` combination changes only the gold flow parameters (`flow_*`), so instead of
one dataset per combination the runner streams the dataset's silver through the engine's own
gold kernel (`qm_engine.gold.GoldState`, the one serving uses) with the overridden parameters.
Silver is read in batches, so memory stays at the requested gold columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from qm_engine.fields import SILVER_FIELDS, EngineParams
from qm_engine.gold import GOLD_COLUMNS, GoldState
from qm_research.data import manifest_value
from qm_research.errors import DatasetMissing, InvalidParam

F64 = npt.NDArray[np.float64]
SILVER_FLOATS = tuple(f.name for f in SILVER_FIELDS if f.dtype == "float64")
GOLD_PARAM_NAMES = (
    "flow_windows",
    "flow_rollup_weights",
    "flow_derivative_weights",
    "flow_tanh_scale",
    "flow_neutral_threshold",
    "flow_zscore_window_bins",
    "flow_zscore_min_periods",
)
_SILVER_READ = ["bin_seq", "k", "price_int", *SILVER_FLOATS, "ask_reprice_sign", "bid_reprice_sign"]


def dataset_params(manifest: dict[str, Any]) -> EngineParams:
    """The engine parameters a dataset was built with (from its manifest)."""
    params = manifest_value(manifest, "params")
    if not isinstance(params, dict):
        raise DatasetMissing("the dataset manifest records no engine params: cannot recompute gold")
    return EngineParams().with_overrides(params)


def gold_overrides(manifest: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The flow params in `wanted` that differ from the dataset's (empty: stored gold is right)."""
    unknown = sorted(set(wanted) - set(GOLD_PARAM_NAMES))
    if unknown:
        raise InvalidParam(f"not gold flow parameters: {unknown}")
    built = dataset_params(manifest).to_dict()
    return {k: v for k, v in sorted(wanted.items()) if built.get(k) != _plain(v)}


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def _bins(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Regroup record batches into tables holding whole bins (rows per bin each)."""
    carry: pa.Table | None = None
    for batch in batches:
        t = pa.Table.from_batches([batch])
        t = t if carry is None else pa.concat_tables([carry, t])
        whole = (t.num_rows // rows) * rows
        if whole:
            yield t.slice(0, whole)
        carry = t.slice(whole)
    if carry is not None and carry.num_rows:
        raise DatasetMissing("silver.parquet is not a dense (bin, k) window: cannot recompute gold")


def recompute_gold(
    root: Any,
    manifest: dict[str, Any],
    overrides: dict[str, Any],
    columns: Iterable[str],
    bins: pa.Table,
    radius: int,
) -> dict[str, F64]:
    """Gold columns (n_bins, 2R+1) for the dataset's silver under overridden flow params."""
    try:
        params = dataset_params(manifest).with_overrides(overrides)
        tick_int = int(manifest_value(manifest, "tick_int"))
        rows = 2 * radius + 1
        state = GoldState(params, rows, tick_int)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidParam(f"gold parameters {overrides}: {exc}") from exc
    cols = [GOLD_COLUMNS.index(c) for c in columns]
    n = bins.num_rows
    out = np.zeros((len(cols), n, rows))
    valid = bins.column("book_valid").to_numpy(zero_copy_only=False).astype(np.int64)
    bin_seq = bins.column("bin_seq").to_numpy()
    bid = bins.column("best_bid_price_int").to_numpy()
    ask = bins.column("best_ask_price_int").to_numpy()
    b = 0
    silver = pq.ParquetFile(root / "silver.parquet")
    for t in _bins(silver.iter_batches(batch_size=rows * 256, columns=_SILVER_READ), rows):
        f = np.column_stack([t.column(c).to_numpy() for c in SILVER_FLOATS]).reshape(-1, rows, 24)
        price = t.column("price_int").to_numpy().reshape(-1, rows)
        seq = t.column("bin_seq").to_numpy()[::rows]
        asg = t.column("ask_reprice_sign").to_numpy()[::rows]
        bsg = t.column("bid_reprice_sign").to_numpy()[::rows]
        if not np.array_equal(seq, bin_seq[b : b + seq.shape[0]]):
            raise DatasetMissing("silver and bins are not in the same bin order")
        for j in range(seq.shape[0]):
            meta = np.array([seq[j], valid[b], bid[b], ask[b], asg[j], bsg[j]], dtype=np.int64)
            out[:, b, :] = state.step(meta, f[j], price[j])[:, cols].T
            b += 1
    if b != n:
        raise DatasetMissing(f"silver has {b} bins, bins.parquet has {n}")
    return {c: out[i] for i, c in enumerate(columns)}
