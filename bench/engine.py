"""Engine benchmark: decode + book + physics + silver bins over >= 10 M synthetic MBO events.

The session is generated once and cached under var/bench/cache/: a 6-minute synthetic ESZ6
segment at ~2,800 event groups/s tiled 10 times into one contiguous hour (each tile starts
with its own snapshot, order ids and sequence numbers are shifted), written as plain .dbn.
The pure-Python reference engine (libs/engine/tests/engine_reference.py, loaded by path
because it lives with the tests) runs over a slice in the same process, so the ratio holds
on a noisy machine. Rates use this process's CPU time (time.process_time), i.e. one core's
throughput even when other work shares the machine; the wall-clock rate is reported beside.
The dataset figure times the whole `python -m qm_engine.dataset build` path (source hash,
engine, gold, parquet, checksums) over the same session and extrapolates it to a 51 M-event
day by event count. Writes var/bench/engine.json.
"""

from __future__ import annotations

import importlib.util
import json
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from qm_engine.dataset import build_dataset
from qm_engine.engine import Engine
from qm_engine.fields import EngineParams
from qm_market.dbn_file import DbnFileSource, read_all, write_dbn
from qm_market.instruments import load_instrument
from qm_market.synth import SynthSpec, metadata_for, write_session

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "var" / "bench"
CACHE = OUT / "cache"
TILES, TILE_MINUTES, RATE, SEED = 10, 6.0, 2800.0, 7
REFERENCE_EVENTS = 60_000
DAY_EVENTS = 51_000_000  # the "51 M-event day"
WALL: dict[str, float] = {}


def _reference_module() -> ModuleType:
    path = REPO / "libs" / "engine" / "tests" / "engine_reference.py"
    spec = importlib.util.spec_from_file_location("engine_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def session_file() -> tuple[Path, SynthSpec]:
    """The cached >= 10 M event session (built on first use)."""
    inst = load_instrument(REPO / "configs" / "instruments" / "ESZ6.yaml")
    tile = SynthSpec(inst, date(2026, 3, 2), "09:30", TILE_MINUTES, SEED, RATE)
    full = SynthSpec(inst, date(2026, 3, 2), "09:30", TILE_MINUTES * TILES, SEED, RATE)
    path = CACHE / f"esz6_{TILES}x{TILE_MINUTES:g}m_r{RATE:g}_s{SEED}.dbn"
    if path.is_file():
        return path, full
    CACHE.mkdir(parents=True, exist_ok=True)
    seg_path = CACHE / "tile.dbn"
    write_session(tile, seg_path)
    seg = read_all(seg_path)
    span = int(TILE_MINUTES * 60 * 1e9)

    def tiles() -> Any:
        seq_step = int(seg["sequence"].max()) + 1
        for i in range(TILES):
            part = seg.copy()
            part["ts_event"] += np.uint64(i * span)
            part["ts_recv"] += np.uint64(i * span)
            part["order_id"] = np.where(
                part["order_id"] > 0, part["order_id"] + np.uint64(i * 10**9), 0
            )
            part["sequence"] += np.uint32(i * seq_step)
            yield part

    tmp = path.with_suffix(".partial")
    write_dbn(tmp, metadata_for(full), tiles(), zstd=False)
    tmp.replace(path)
    seg_path.unlink()
    return path, full


def run_engine(path: Path, spec: SynthSpec) -> tuple[int, float, int]:
    """Decode (zero-copy views of chunks) + book + physics + silver bins; (events, s, bins)."""
    params = EngineParams()
    warm = Engine(spec.instrument.tick_int, params, start_ns=spec.start_ns, end_ns=spec.end_ns)
    warm.feed(next(iter(DbnFileSource(path))).records[:5000])  # load the compiled kernels
    t0, w0 = time.process_time(), time.perf_counter()
    engine = Engine(
        spec.instrument.tick_int,
        params,
        start_ns=spec.start_ns,
        end_ns=spec.end_ns,
        out_capacity=1024,
    )
    bins = events = 0
    for records in DbnFileSource(path).iter_records():  # the dataset builder's decode path
        events += len(records)
        bins += sum(len(b) for b in engine.feed(records))
    bins += sum(len(b) for b in engine.finish())
    WALL["engine"] = time.perf_counter() - w0
    return events, time.process_time() - t0, bins


def run_reference(path: Path, spec: SynthSpec) -> tuple[int, float]:
    """The pure-Python reference over the first REFERENCE_EVENTS records."""
    ref_mod = _reference_module()
    rec = next(iter(DbnFileSource(path, chunk_bytes=56 * REFERENCE_EVENTS))).records
    t0 = time.process_time()
    ref = ref_mod.ReferenceEngine(
        spec.instrument.tick_int, EngineParams(), start_ns=spec.start_ns, end_ns=spec.end_ns
    )
    for r in rec:
        ref.apply(r)
    return len(rec), time.process_time() - t0


def run_dataset(path: Path, spec: SynthSpec) -> dict[str, float]:
    """The whole `python -m qm_engine.dataset build` path (source hash, engine, gold, parquet,
    checksums) over the cached session; the dataset is deleted afterwards."""
    lake = CACHE / "lake"
    shutil.rmtree(lake, ignore_errors=True)
    warm_end = spec.start_ns + 1_000_000_000  # compile/load every kernel outside the timing
    build_dataset(
        source=path, instrument=spec.instrument, start_ns=spec.start_ns, end_ns=warm_end, lake=lake
    )
    t0, w0 = time.process_time(), time.perf_counter()
    ref = build_dataset(
        source=path,
        instrument=spec.instrument,
        start_ns=spec.start_ns,
        end_ns=spec.end_ns,
        lake=lake,
    )
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    counts = ref.manifest["counts"]
    size = sum((ref.path / name).stat().st_size for name in ("silver.parquet", "gold.parquet"))
    shutil.rmtree(lake, ignore_errors=True)
    events = int(counts["records"])
    return {
        "events": events,
        "bins": int(counts["bins"]),
        "cpu_s": cpu,
        "wall_s": wall,
        "mb": size / 1e6,
    }


def main() -> int:
    """Run the benchmark, print the figures and write var/bench/engine.json."""
    path, spec = session_file()
    ref_events, ref_s = run_reference(path, spec)
    events, seconds, bins = run_engine(path, spec)
    ds = run_dataset(path, spec)
    result = {
        "events_per_s": round(events / seconds),
        "reference_events_per_s": round(ref_events / ref_s),
        "events": events,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "bins": bins,
        "cpu_seconds": round(seconds, 3),
        "wall_events_per_s": round(events / WALL["engine"]),
        "target_events_per_s": 10_000_000,
        "dataset_events": ds["events"],
        "dataset_bins": ds["bins"],
        "dataset_seconds": round(ds["cpu_s"], 3),
        "dataset_wall_seconds": round(ds["wall_s"], 3),
        "dataset_events_per_s": round(ds["events"] / ds["cpu_s"]),
        "dataset_day_seconds": round(DAY_EVENTS * ds["cpu_s"] / ds["events"], 2),
        "dataset_day_wall_seconds": round(DAY_EVENTS * ds["wall_s"] / ds["events"], 2),
        "dataset_parquet_mb": round(ds["mb"], 1),
        "target_dataset_day_seconds": 10,
    }
    result["ratio"] = round(result["events_per_s"] / max(result["reference_events_per_s"], 1), 1)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "engine.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"engine    : {result['events_per_s']:>12,} events/s  ({events:,} events, "
        f"{bins:,} bins of 101 rows, {seconds:.2f} s)"
    )
    print(
        f"reference : {result['reference_events_per_s']:>12,} events/s  "
        f"(pure Python, {ref_events:,} events)"
    )
    print(
        f"ratio     : {result['ratio']}x   peak RSS {result['peak_rss_mb']} MB   "
        f"target >= 10,000,000 events/s"
    )
    print(
        f"dataset   : {result['dataset_events_per_s']:>12,} events/s  "
        f"({ds['events']:,} events, {ds['bins']:,} bins, {ds['cpu_s']:.2f} s CPU, "
        f"{ds['wall_s']:.2f} s wall, silver+gold {ds['mb']:.0f} MB)"
    )
    print(
        f"51 M day  : {result['dataset_day_seconds']:.1f} s CPU, "
        f"{result['dataset_day_wall_seconds']:.1f} s wall (extrapolated by events)   "
        f"target < 10 s"
    )
    return 0
