"""Market data of one dataset as dense arrays: the per-bin touch plus (bins x rows) grids.

The lake layout is the engine's (`<lake>/datasets/<id>/bins.parquet`, `silver.parquet`,
`gold.parquet`, `manifest.json`): bins one row per bin, silver and gold one row per (bin, k).
Only the requested grid columns are read, once per dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.parquet as pq

from qm_engine.fields import GOLD_NAMES, SILVER_NAMES
from qm_research.errors import DatasetMissing

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

PRICE_SCALE = 1_000_000_000
# optional per-bin touch extremes; when present, TP/SL can see moves inside a bin
EXTREME_COLUMNS = (
    "best_bid_high_price_int",
    "best_bid_low_price_int",
    "best_ask_high_price_int",
    "best_ask_low_price_int",
)


@dataclass(frozen=True)
class MarketData:
    """One dataset: touch prices in 1e-9 units, bin times, and grid columns (n, 2R+1)."""

    dataset_id: str
    ts_ns: I64
    bid: I64
    ask: I64
    valid: B
    tick_int: int
    radius: int
    cell_width_ms: int
    grids: dict[str, F64] = field(default_factory=dict)
    extremes: dict[str, I64] | None = None

    def __len__(self) -> int:
        return int(self.ts_ns.shape[0])

    @property
    def mid(self) -> F64:
        """Mid price in 1e-9 units (NaN where the book is not valid)."""
        m = (self.bid + self.ask) / 2.0
        return np.where(self.valid, m, np.nan)

    def grid(self, name: str) -> F64:
        """The (n, 2R+1) array of a grid column; DatasetMissing if it was not loaded."""
        if name not in self.grids:
            raise DatasetMissing(f"column '{name}' is not in dataset {self.dataset_id}")
        return self.grids[name]

    def band(self, name: str, k_lo: int, k_hi: int) -> F64:
        """Rows k_lo..k_hi (inclusive, clipped to the grid) of a grid column."""
        lo, hi = max(k_lo, -self.radius), min(k_hi, self.radius)
        if lo > hi:
            raise DatasetMissing(f"band {k_lo}..{k_hi} is outside the grid radius {self.radius}")
        return self.grid(name)[:, self.radius + lo : self.radius + hi + 1]

    def prefix(self, n: int) -> MarketData:
        """The first n bins only (what was known at the close of bin n-1)."""
        ext = None if self.extremes is None else {k: v[:n] for k, v in self.extremes.items()}
        return replace(
            self,
            ts_ns=self.ts_ns[:n],
            bid=self.bid[:n],
            ask=self.ask[:n],
            valid=self.valid[:n],
            grids={k: v[:n] for k, v in self.grids.items()},
            extremes=ext,
        )


def dataset_dir(lake: Path, dataset_id: str) -> Path:
    """Where a dataset lives in the lake."""
    return lake / "datasets" / dataset_id


def read_manifest(lake: Path, dataset_id: str) -> dict[str, Any]:
    """The dataset's manifest.json; DatasetMissing if the dataset is not in the lake."""
    path = dataset_dir(lake, dataset_id) / "manifest.json"
    if not path.is_file():
        raise DatasetMissing(f"dataset {dataset_id} is not in the lake (no {path.name})")
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise DatasetMissing(f"dataset {dataset_id}: manifest.json is not an object")
    return data


def _walk(obj: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def manifest_value(manifest: dict[str, Any], key: str) -> Any:
    """The first non-null value stored under `key` anywhere in the manifest, or None."""
    return next((v for k, v in _walk(manifest) if k == key and v is not None), None)


def load_market_data(
    lake: Path,
    dataset_id: str,
    columns: Iterable[str],
    *,
    tick_size: float | None = None,
    gold_params: dict[str, Any] | None = None,
) -> MarketData:
    """Read the bins table and the requested grid columns of one dataset into dense arrays.

    gold_params: flow_* engine parameters the gold columns must reflect; where they differ
    from the dataset's, gold is recomputed from silver (qm_research.regold).
    """
    from qm_research import regold  # imports this module: bound late

    manifest = read_manifest(lake, dataset_id)
    tick = tick_size if tick_size is not None else manifest_value(manifest, "tick_size")
    if tick is None:
        raise DatasetMissing(f"dataset {dataset_id}: no tick_size in the manifest or the spec")
    root = dataset_dir(lake, dataset_id)
    bins = pq.read_table(root / "bins.parquet")
    names = set(bins.column_names)
    seq = bins.column("bin_seq").to_numpy().astype(np.int64)
    wanted = sorted(set(columns))
    over = regold.gold_overrides(manifest, gold_params) if gold_params else {}
    regolded = [c for c in wanted if over and c in GOLD_NAMES]
    radius, grids = _load_grids(root, seq, [c for c in wanted if c not in regolded], manifest)
    if regolded:
        radius = int(manifest_value(manifest, "grid_radius_ticks"))
        grids.update(regold.recompute_gold(root, manifest, over, regolded, bins, radius))
    extremes = None
    if all(c in names for c in EXTREME_COLUMNS):
        extremes = {c: bins.column(c).to_numpy().astype(np.int64) for c in EXTREME_COLUMNS}
    return MarketData(
        dataset_id=dataset_id,
        ts_ns=bins.column("ts_ns").to_numpy().astype(np.int64),
        bid=bins.column("best_bid_price_int").to_numpy().astype(np.int64),
        ask=bins.column("best_ask_price_int").to_numpy().astype(np.int64),
        valid=_valid(bins),
        tick_int=round(float(tick) * PRICE_SCALE),
        radius=radius,
        cell_width_ms=int(manifest_value(manifest, "cell_width_ms") or 100),
        grids=grids,
        extremes=extremes,
    )


def _valid(bins: Any) -> B:
    bid = bins.column("best_bid_price_int").to_numpy()
    ask = bins.column("best_ask_price_int").to_numpy()
    ok = (bid > 0) & (ask > bid)
    if "book_valid" in bins.column_names:
        ok &= bins.column("book_valid").to_numpy(zero_copy_only=False).astype(bool)
    return np.asarray(ok, dtype=bool)


def _load_grids(
    root: Path, seq: I64, wanted: list[str], manifest: dict[str, Any]
) -> tuple[int, dict[str, F64]]:
    radius = manifest_value(manifest, "grid_radius_ticks")
    grids: dict[str, F64] = {}
    for stage, known in (("silver", SILVER_NAMES), ("gold", GOLD_NAMES)):
        cols = [c for c in wanted if c in known]
        if not cols:
            continue
        path = root / f"{stage}.parquet"
        if not path.is_file():
            raise DatasetMissing(f"{root.name}: {stage}.parquet is missing, needed for {cols}")
        table = pq.read_table(path, columns=["bin_seq", "k", *cols])
        k = table.column("k").to_numpy().astype(np.int64)
        r = int(radius) if radius is not None else int(np.abs(k).max(initial=0))
        row = np.searchsorted(seq, table.column("bin_seq").to_numpy())
        for c in cols:
            arr = np.zeros((seq.shape[0], 2 * r + 1))
            arr[row, k + r] = table.column(c).to_numpy(zero_copy_only=False)
            grids[c] = arr
        radius = r
    unknown = [c for c in wanted if c not in SILVER_NAMES and c not in GOLD_NAMES]
    if unknown:
        raise DatasetMissing(f"unknown grid column(s): {', '.join(unknown)}")
    return int(radius or 0), grids
