"""A synthetic dataset in the engine's lake layout, for tests, benchmarks and offline demos.

The touch follows a random walk in whole ticks and the grid columns are independent noise, so
no causal signal can beat chance on it: a fair null for look-ahead tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from qm_research.data import PRICE_SCALE, dataset_dir

SILVER_COLS = ("v_add", "v_pull", "v_fill", "a_add", "a_pull", "j_add", "j_pull")
GOLD_COLS = ("pressure_variant", "vacuum_variant", "flow_score")


def write_synthetic_dataset(
    lake: Path,
    dataset_id: str,
    *,
    n_bins: int = 1200,
    radius: int = 50,
    tick_size: float = 0.25,
    cell_width_ms: int = 100,
    seed: int = 7,
    start_ns: int = 1_772_461_800_000_000_000,
) -> Path:
    """Write bins/silver/gold parquet and a manifest for `dataset_id`; returns its directory."""
    rng = np.random.default_rng(seed)
    tick = round(tick_size * PRICE_SCALE)
    steps = rng.choice([-1, 0, 0, 0, 1], size=n_bins)
    bid = (20_000 * 4 + np.cumsum(steps)) * tick
    spread = 1 + (rng.random(n_bins) < 0.1)
    ask = bid + spread * tick
    seq = np.arange(n_bins, dtype=np.int64)
    ts = start_ns + (seq + 1) * cell_width_ms * 1_000_000
    root = dataset_dir(lake, dataset_id)
    root.mkdir(parents=True, exist_ok=True)
    bins = {
        "bin_seq": seq,
        "ts_ns": ts,
        "bin_start_ns": ts - cell_width_ms * 1_000_000,
        "bin_end_ns": ts,
        "best_bid_price_int": bid,
        "best_ask_price_int": ask,
        "spread_ticks": spread.astype(np.int64),
        "mid_price": (bid + ask) / 2 / PRICE_SCALE,
        "book_valid": np.ones(n_bins, dtype=bool),
    }
    pq.write_table(pa.table(bins), root / "bins.parquet")
    rows = 2 * radius + 1
    k = np.tile(np.arange(-radius, radius + 1, dtype=np.int32), n_bins)
    long_seq = np.repeat(seq, rows)
    silver = {"bin_seq": long_seq, "k": k}
    for c in SILVER_COLS:
        silver[c] = rng.normal(size=n_bins * rows)
    pq.write_table(pa.table(silver), root / "silver.parquet")
    gold = {"bin_seq": long_seq, "k": k}
    for c in GOLD_COLS:
        gold[c] = rng.normal(size=n_bins * rows) * (0.3 if c == "flow_score" else 1.0)
    gold["state5_code"] = rng.integers(-2, 3, size=n_bins * rows).astype(np.int8)
    gold["flow_state_code"] = rng.integers(-1, 2, size=n_bins * rows).astype(np.int8)
    pq.write_table(pa.table(gold), root / "gold.parquet")
    manifest = {
        "dataset_id": dataset_id,
        "synthetic": True,
        "n_bins": n_bins,
        "instrument": {"tick_size": tick_size},
        "engine": {"cell_width_ms": cell_width_ms, "grid_radius_ticks": radius},
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return root
