"""Experiment runner: expand the sweep, load each dataset once, run specs in worker processes.

Progress goes through a callback; the cancel callback is checked before every run spec starts
and inside long loops (thresholds, walk-forward refits), so no new run spec starts after it.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from qm_core.hashing import canonical_hash
from qm_research import datacache
from qm_research.data import MarketData, load_market_data
from qm_research.errors import InvalidParam, RunError
from qm_research.execute import RunResult, execute
from qm_research.expansion import Plan, RunSpec, SpecInput, expand_plan, normalise
from qm_research.results import code_version, consolidate, run_row, threshold_rows, write_part
from qm_research.signals import get_signal
from qm_specs.resolve import SpecRegistry

__all__ = [
    "ExperimentOutcome",
    "Progress",
    "ProgressEvent",
    "RunResult",
    "RunSpec",
    "expand",
    "run_experiment",
]

ProgressKind = Literal["run_started", "run_finished", "run_failed", "heartbeat"]


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report: kind, runs done so far, total, the run concerned, details."""

    kind: ProgressKind
    done: int
    total: int
    run_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)


Progress = Callable[[ProgressEvent], None]


@dataclass
class ExperimentOutcome:
    """Every run's result, whether the experiment was cancelled, and the artifacts written."""

    runs: list[RunResult]
    cancelled: bool
    artifacts: list[Path]
    spec_hash: str = ""
    code_version: str = ""


def resolve_datasets(plan: Plan, datasets: Sequence[str] | None) -> list[str]:
    """The dataset ids to run on, deduplicated, in the given order."""
    if not datasets:
        raise ValueError("no datasets: pass datasets=[<dataset_id>, ...] built for this spec")
    return list(dict.fromkeys(datasets))


def expand(
    spec: SpecInput,
    *,
    lake: Path,
    datasets: Sequence[str] | None = None,
    registry: SpecRegistry | None = None,
    extra_signals: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    one_position: bool = False,
    oos_fraction: float = 0.3,
) -> list[RunSpec]:
    """The run specs of an experiment, in a deterministic order (datasets outermost)."""
    plan = normalise(spec, registry)
    runs = expand_plan(
        plan,
        resolve_datasets(plan, datasets),
        extra_signals=extra_signals,
        one_position=one_position,
        oos_fraction=oos_fraction,
    )
    if len(runs) > plan.experiment.budget.max_runs:
        raise ValueError(
            f"the sweep expands to {len(runs)} runs, over budget.max_runs "
            f"{plan.experiment.budget.max_runs}"
        )
    return runs


def data_key(rs: RunSpec) -> str:
    """Which loaded data a run needs: its dataset, with its gold parameters."""
    return f"{rs.dataset_id}-{canonical_hash(rs.gold_params)[:16]}"


class _Datasets:
    """Loads each (dataset, gold params) once with the union of the columns its runs read."""

    def __init__(self, lake: Path, runs: list[RunSpec]) -> None:
        self.lake = lake
        self.columns: dict[str, set[str]] = {}
        for rs in runs:
            cols = self.columns.setdefault(data_key(rs), set())
            # an unknown signal is left to its run, which then fails with that error
            with contextlib.suppress(InvalidParam):
                cols.update(get_signal(rs.signal).columns)
        self.cache: dict[str, MarketData | RunError] = {}

    def get(self, rs: RunSpec) -> MarketData:
        """The run's data, loaded on first use only (a load error is kept and re-raised)."""
        key = data_key(rs)
        if key not in self.cache:
            self.cache.clear()  # runs are grouped by dataset and gold params: that one is done
            try:
                self.cache[key] = load_market_data(
                    self.lake,
                    rs.dataset_id,
                    self.columns[key],
                    tick_size=rs.tick_size,
                    gold_params=rs.gold_params,
                )
            except RunError as exc:
                self.cache[key] = exc
        got = self.cache[key]
        if isinstance(got, RunError):
            raise got
        return got


class _Tracker:
    """Counts finished runs, writes each one's part files, reports progress."""

    def __init__(self, out_dir: Path, total: int, progress: Progress | None, beat: float) -> None:
        self.out_dir, self.total, self.progress, self.beat = out_dir, total, progress, beat
        self.results: list[RunResult] = []
        self.last_beat = time.monotonic()

    def emit(self, kind: ProgressKind, run_id: str | None, payload: dict[str, Any]) -> None:
        self.last_beat = time.monotonic()
        if self.progress is not None:
            self.progress(ProgressEvent(kind, len(self.results), self.total, run_id, payload))

    def started(self, rs: RunSpec) -> None:
        self.emit(
            "run_started",
            rs.run_id,
            {"index": rs.index, "signal": rs.signal, "dataset_id": rs.dataset_id},
        )

    def finished(self, res: RunResult) -> None:
        rs = res.run_spec
        row = run_row(rs, res.status, res.metrics, res.error, res.duration_s)
        write_part(self.out_dir / "parts", rs.index, row, threshold_rows(rs, res.thresholds))
        self.results.append(res)
        ok = res.status == "succeeded"
        payload = {
            "index": rs.index,
            "status": res.status,
            "duration_s": res.duration_s,
            "error": res.error,
            "metrics": res.metrics,
        }
        self.emit("run_finished" if ok else "run_failed", rs.run_id, payload)

    def heartbeat(self) -> None:
        if time.monotonic() - self.last_beat >= self.beat:
            self.emit("heartbeat", None, {})


def _failed(rs: RunSpec, exc: Exception) -> RunResult:
    return RunResult(rs, "failed", {}, f"{type(exc).__name__}: {exc}", 0.0)


def _run_serial(
    runs: list[RunSpec],
    data: _Datasets,
    tr: _Tracker,
    cancelled: Callable[[], bool],
    audit: bool,
) -> bool:
    def check() -> bool:
        tr.heartbeat()  # long loops check for cancel often: that is also our heartbeat
        return cancelled()

    for rs in runs:
        if cancelled():
            return True
        tr.started(rs)
        try:
            md = data.get(rs)
        except RunError as exc:
            tr.finished(_failed(rs, exc))
            continue
        tr.finished(execute(rs, md, is_cancelled=check, audit=audit))
    return cancelled()


_EVENT: Any = None


def _default_start_method() -> str:
    # fork: workers inherit the imported packages and compiled kernels instead of re-importing
    # numpy/sklearn/numba (seconds each); children only run `_worker`, never the caller's loop
    return "fork" if "fork" in mp.get_all_start_methods() else "spawn"


def _init_worker(event: Any) -> None:
    global _EVENT
    _EVENT = event


def _worker(rs: RunSpec, data_dir: str, audit: bool) -> RunResult:
    md = datacache.load(Path(data_dir))
    return execute(rs, md, is_cancelled=_EVENT.is_set, audit=audit)


def _run_parallel(
    runs: list[RunSpec],
    data: _Datasets,
    tr: _Tracker,
    cancelled: Callable[[], bool],
    audit: bool,
    workers: int,
    start_method: str | None,
) -> bool:
    ctx = mp.get_context(start_method or _default_start_method())
    event = ctx.Event()
    pending = list(reversed(runs))
    inflight: dict[Future[RunResult], RunSpec] = {}
    saved: dict[str, str] = {}
    with (
        tempfile.TemporaryDirectory(prefix="qm-research-") as handoff,
        ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(event,)
        ) as pool,
    ):
        while pending or inflight:
            stop = cancelled()
            if stop:
                event.set()
                pending.clear()
            while pending and len(inflight) < workers:
                rs = pending.pop()
                try:
                    key = data_key(rs)
                    if key not in saved:
                        saved[key] = str(datacache.save(data.get(rs), Path(handoff) / key))
                except RunError as exc:
                    tr.started(rs)
                    tr.finished(_failed(rs, exc))
                    continue
                tr.started(rs)
                inflight[pool.submit(_worker, rs, saved[key], audit)] = rs
            done, _ = wait(list(inflight), timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                rs = inflight.pop(fut)
                err = fut.exception()
                tr.finished(_failed(rs, err) if isinstance(err, Exception) else fut.result())
            tr.heartbeat()
    return cancelled() or event.is_set()


def run_experiment(
    spec: SpecInput,
    *,
    lake: Path,
    out_dir: Path,
    workers: int = 1,
    progress: Progress | None = None,
    is_cancelled: Callable[[], bool] = lambda: False,
    datasets: Sequence[str] | None = None,
    registry: SpecRegistry | None = None,
    extra_signals: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    one_position: bool = False,
    oos_fraction: float = 0.3,
    audit: bool = True,
    heartbeat_s: float = 5.0,
    start_method: str | None = None,
) -> ExperimentOutcome:
    """Run every spec of the sweep; artifacts of finished runs are written whatever happens."""
    runs = expand(
        spec,
        lake=lake,
        datasets=datasets,
        registry=registry,
        extra_signals=extra_signals,
        one_position=one_position,
        oos_fraction=oos_fraction,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    tr = _Tracker(out_dir, len(runs), progress, heartbeat_s)
    data = _Datasets(lake, runs)
    cancelled = False
    try:
        if workers <= 1:
            cancelled = _run_serial(runs, data, tr, is_cancelled, audit)
        else:
            cancelled = _run_parallel(runs, data, tr, is_cancelled, audit, workers, start_method)
    finally:
        artifacts = _finish(out_dir, runs, tr.results, cancelled)
    spec_hash = runs[0].spec_hash if runs else ""
    ordered = sorted(tr.results, key=lambda r: r.run_spec.index)
    return ExperimentOutcome(ordered, cancelled, artifacts, spec_hash, code_version())


def _finish(
    out_dir: Path, runs: list[RunSpec], results: list[RunResult], cancelled: bool
) -> list[Path]:
    artifacts = consolidate(out_dir, {r.run_spec.run_id for r in results})
    summary = {
        "spec_hash": runs[0].spec_hash if runs else "",
        "code_version": code_version(),
        "total": len(runs),
        "finished": len(results),
        "succeeded": sum(r.status == "succeeded" for r in results),
        "failed": sum(r.status == "failed" for r in results),
        "cancelled": cancelled,
    }
    path = out_dir / "experiment.json"
    path.write_text(json.dumps(summary, indent=2, sort_keys=True))
    return [*artifacts, path]
