"""Research runner benchmark: runs/s of a derivative-signal sweep over a 1-hour dataset.

The dataset is a 60-minute synthetic QMDEMO session built by qm_engine (cached under
var/bench/cache/). The same sweep is also run the naive way in the same process: every run
re-reads the dataset's parquet and computes the state intensities with a Python loop over k
and the robust z with a Python loop over bins (the predecessor's habits); only a few naive
runs are timed because each costs seconds. Both paths must produce the same scores. Results
are merged into var/bench/jobs.json under "research" (the jobs service adds its own keys).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from qm_engine.dataset import build_dataset
from qm_market.instruments import load_instrument
from qm_market.synth import SynthSpec, write_session
from qm_research import run_experiment
from qm_research.data import MarketData, load_market_data
from qm_research.evaluate import evaluate
from qm_research.execute import eval_settings
from qm_research.expansion import RunSpec
from qm_research.runner import expand
from qm_research.signals import bind_params
from qm_research.signals.stat_flow import DerivativeParams, derivative_base, derivative_score

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "var" / "bench"
CACHE = OUT / "cache"
MINUTES, SEED = 60.0, 7
NAIVE_RUNS = 3
SWEEP: dict[str, list[Any]] = {
    "zscore_window_bins": [120, 240, 300],
    "d2_weight": [0.0, 0.5],
    "mixed": [0.0, 0.5],
}
SPEC = {
    "kind": "experiment",
    "name": "bench_derivative_sweep",
    "serving": "none",
    "eval": {
        "tp_ticks": [4],
        "sl_ticks": [4],
        "cooldown_bins": [20, 40],
        "max_hold_bins": 1200,
        "warmup_bins": 300,
    },
}


def dataset() -> tuple[Path, str]:
    """Build (once) the 1-hour engine dataset; returns the lake and the dataset id."""
    inst = load_instrument(REPO / "configs" / "instruments" / "QMDEMO.yaml")
    spec = SynthSpec(inst, date(2026, 3, 2), "09:30", MINUTES, SEED)
    src = CACHE / f"qmdemo_{int(MINUTES)}m_s{SEED}.dbn"
    if not src.is_file():
        write_session(spec, src)
    lake = CACHE / "lake"
    end = spec.start_ns + int(MINUTES * 60) * 1_000_000_000
    ref = build_dataset(source=src, instrument=inst, start_ns=spec.start_ns, end_ns=end, lake=lake)
    return lake, ref.dataset_id


def naive_robust_z(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """Per-bin Python loop over a trailing window (median/MAD)."""
    out = np.full(x.shape[0], np.nan)
    for i in range(x.shape[0]):
        w = x[max(0, i - window + 1) : i + 1]
        w = w[~np.isnan(w)]
        if np.isnan(x[i]) or w.shape[0] < min_periods:
            continue
        med = np.median(w)
        mad = np.median(np.abs(w - med)) * 1.4826
        out[i] = (x[i] - med) / mad if mad > 1e-12 else 0.0
    return out


def naive_score(lake: Path, rs: RunSpec) -> tuple[MarketData, np.ndarray]:
    """Reload the dataset and compute the derivative score with per-k and per-bin loops."""
    md = load_market_data(lake, rs.dataset_id, ())
    gold = pq.read_table(lake / "datasets" / rs.dataset_id / "gold.parquet")
    seq = gold.column("bin_seq").to_numpy()
    ks = gold.column("k").to_numpy()
    s5 = gold.column("state5_code").to_numpy()
    p: DerivativeParams = bind_params(DerivativeParams, rs.params)
    inten = {s: np.zeros(len(md)) for s in (-2, -1, 0, 1, 2)}
    total = 0.0
    for k in range(-md.radius, md.radius + 1):
        w = (
            0.0
            if abs(k) <= p.center_exclusion_radius
            else 1.0 / max(abs(k), 1) ** p.spatial_decay_power
        )
        total += w
        rows = ks == k
        for s in inten:
            np.add.at(inten[s], seq[rows], w * (s5[rows] == s))
    inten = {s: v / total for s, v in inten.items()}
    bull = p.bull_pressure * inten[1] + p.bull_vacuum * inten[2]
    bear = p.bear_pressure * inten[-1] + p.bear_vacuum * inten[-2]
    base = (bull - bear) * np.clip(1.0 - p.mixed * inten[0], 0.0, 1.0)
    dt = md.cell_width_ms / 1000.0
    d1 = np.diff(base, prepend=np.nan) / dt
    d2 = np.diff(d1, prepend=np.nan) / dt
    d3 = np.diff(d2, prepend=np.nan) / dt
    ws = [p.d1_weight, p.d2_weight, p.d3_weight]
    score = np.zeros(len(md))
    for d, w in zip((d1, d2, d3), ws, strict=True):
        if w > 0:
            score += w * np.tanh(
                naive_robust_z(d, p.zscore_window_bins, p.zscore_min_periods) / p.tanh_scale
            )
    return md, score / sum(abs(w) for w in ws)


def naive(lake: Path, runs: list[RunSpec]) -> tuple[float, float]:
    """Seconds per naive run, and the largest score difference from the fast kernel."""
    t0 = time.perf_counter()
    worst = 0.0
    for rs in runs:
        md, score = naive_score(lake, rs)
        evaluate(score, md, eval_settings(rs), kind="abs", levels=(0.05, 0.1))
        p = bind_params(DerivativeParams, rs.params)
        md_fast = load_market_data(lake, rs.dataset_id, ("state5_code",))
        fast = derivative_score(derivative_base(md_fast, p), md.cell_width_ms / 1000.0, p)
        both = np.isfinite(fast) & np.isfinite(score)
        worst = max(worst, float(np.max(np.abs(fast[both] - score[both]), initial=0.0)))
    return (time.perf_counter() - t0) / len(runs), worst


def fast(lake: Path, dataset_id: str, workers: int) -> tuple[int, float, int]:
    """Runs, wall seconds and succeeded count of the full sweep through run_experiment."""
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = run_experiment(
            SPEC,
            lake=lake,
            out_dir=Path(out),
            datasets=[dataset_id],
            extra_signals={"derivative": SWEEP},
            workers=workers,
        )
        wall = time.perf_counter() - t0
    return len(res.runs), wall, sum(r.status == "succeeded" for r in res.runs)


def write(result: dict[str, Any]) -> Path:
    """Merge our keys into var/bench/jobs.json (other benchmarks own the other keys)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "jobs.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data.update(result)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def main() -> int:
    """Build the dataset, time fast (serial, 2 workers) and naive sweeps, write the JSON."""
    t0 = time.perf_counter()
    lake, dataset_id = dataset()
    build_s = time.perf_counter() - t0
    runs = expand(SPEC, lake=lake, datasets=[dataset_id], extra_signals={"derivative": SWEEP})
    n1, wall1, ok1 = fast(lake, dataset_id, 1)
    n2, wall2, ok2 = fast(lake, dataset_id, 2)
    naive_s, diff = naive(lake, runs[:: max(1, len(runs) // NAIVE_RUNS)][:NAIVE_RUNS])
    bins = len(load_market_data(lake, dataset_id, ()))
    research = {
        "dataset_bins": bins,
        "sweep_runs": len(runs),
        "fast_serial_runs_per_s": n1 / wall1,
        "fast_2_workers_runs_per_s": n2 / wall2,
        "fast_succeeded": min(ok1, ok2),
        "naive_runs_timed": NAIVE_RUNS,
        "naive_runs_per_s": 1.0 / naive_s,
        "speedup_serial_vs_naive": (n1 / wall1) * naive_s,
        "max_abs_score_diff_naive_vs_fast": diff,
        "dataset_build_or_load_s": build_s,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
    }
    path = write({"research": research})
    print(json.dumps(research, indent=2))
    print(f"wrote {path.relative_to(REPO)}")
    return 0 if ok1 == n1 and ok2 == n2 and diff < 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
