"""Hand a loaded dataset to worker processes as memory-mapped .npy files (decoded once)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qm_research.data import MarketData

_ARRAYS = ("ts_ns", "bid", "ask", "valid")
_OPEN: dict[str, MarketData] = {}


def save(md: MarketData, root: Path) -> Path:
    """Write the arrays of `md` under `root` and return it."""
    d = root
    d.mkdir(parents=True, exist_ok=True)
    for name in _ARRAYS:
        np.save(d / f"{name}.npy", getattr(md, name))
    for name, grid in md.grids.items():
        np.save(d / f"grid.{name}.npy", grid)
    for name, ext in (md.extremes or {}).items():
        np.save(d / f"ext.{name}.npy", ext)
    meta = {
        "dataset_id": md.dataset_id,
        "tick_int": md.tick_int,
        "radius": md.radius,
        "cell_width_ms": md.cell_width_ms,
        "grids": sorted(md.grids),
        "extremes": sorted(md.extremes or {}),
    }
    (d / "meta.json").write_text(json.dumps(meta))
    return d


def _mmap(path: Path) -> np.ndarray:
    # a plain ndarray view of the mapping: numba kernels do not take np.memmap
    return np.asarray(np.load(path, mmap_mode="r"))


def load(d: Path) -> MarketData:
    """Open a saved dataset read-only (memory-mapped), once per process."""
    key = str(d)
    if key not in _OPEN:
        meta = json.loads((d / "meta.json").read_text())
        arr = {n: _mmap(d / f"{n}.npy") for n in _ARRAYS}
        grids = {n: _mmap(d / f"grid.{n}.npy") for n in meta["grids"]}
        ext = {n: _mmap(d / f"ext.{n}.npy") for n in meta["extremes"]}
        _OPEN[key] = MarketData(
            dataset_id=meta["dataset_id"],
            tick_int=meta["tick_int"],
            radius=meta["radius"],
            cell_width_ms=meta["cell_width_ms"],
            grids=grids,
            extremes=ext or None,
            **arr,
        )
    return _OPEN[key]
