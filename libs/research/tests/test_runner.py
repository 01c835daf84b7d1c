"""The runner: failures recorded per run, cancel, parallel == serial, artifacts, DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from qm_research import ProgressEvent, run_experiment
from qm_research.results import query

from .conftest import experiment

ML_FAST = {"min_train_bins": [600], "refit_every_bins": [400]}


def test_invalid_params_fail_their_own_run_only(lake: Path, tmp_path: Path) -> None:
    extra = {
        "derivative": {"zscore_window_bins": [100, 1]},
        "ads": {"blend_scale": [3.0, -1.0]},
        "pfp": {"no_such_param": [1]},
        "no_such_signal": {},
    }
    out = run_experiment(
        experiment(), lake=lake, out_dir=tmp_path, datasets=["ds_a"], extra_signals=extra
    )
    by = {(r.run_spec.signal, str(r.run_spec.params)): r for r in out.runs}
    assert by[("derivative", "{'zscore_window_bins': 100}")].status == "succeeded"
    bad = by[("derivative", "{'zscore_window_bins': 1}")]
    assert bad.status == "failed"
    assert str(bad.error).startswith("InvalidParam: zscore_window_bins")
    assert by[("ads", "{'blend_scale': -1.0}")].error == "InvalidParam: blend_scale must be > 0"
    assert "no_such_param" in str(by[("pfp", "{'no_such_param': 1}")].error)
    assert "unknown signal 'no_such_signal'" in str(by[("no_such_signal", "{}")].error)
    rows = query(tmp_path, "SELECT status, count(*) AS n FROM runs GROUP BY status ORDER BY 1")
    assert rows == [{"status": "failed", "n": 4}, {"status": "succeeded", "n": 2}]
    failed_ids = [r.run_spec.run_id for r in out.runs if r.status == "failed"]
    thr = query(
        tmp_path,
        "SELECT count(*) AS n FROM thresholds WHERE list_contains(?, run_id)",
        [failed_ids],
    )
    assert thr == [{"n": 0}]


def test_missing_dataset_fails_its_runs(lake: Path, tmp_path: Path) -> None:
    out = run_experiment(
        experiment(),
        lake=lake,
        out_dir=tmp_path,
        datasets=["ds_a", "ghost"],
        extra_signals={"flow_score": {}},
    )
    assert [r.status for r in out.runs] == ["succeeded", "failed"]
    assert str(out.runs[1].error).startswith("DatasetMissing: dataset ghost is not in the lake")


def _sweep() -> dict[str, Any]:
    return {"derivative": {"d2_weight": [0.0, 0.5]}, "pfp": {}, "ml_logit": ML_FAST}


def test_cancel_between_runs_starts_no_new_run(lake: Path, tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    flag = {"cancel": False}

    def progress(ev: ProgressEvent) -> None:
        events.append(ev)
        if ev.kind == "run_finished":
            flag["cancel"] = True

    out = run_experiment(
        experiment(cooldown_bins=[5, 10]),
        lake=lake,
        out_dir=tmp_path,
        datasets=["ds_a"],
        extra_signals=_sweep(),
        progress=progress,
        is_cancelled=lambda: flag["cancel"],
    )
    assert out.cancelled
    assert [e.kind for e in events] == ["run_started", "run_finished"]
    assert len(out.runs) == 1
    assert pq.read_table(tmp_path / "runs.parquet").num_rows == 1  # artifacts still written
    assert events[-1].total == 8


def test_cancel_inside_a_long_loop_stops_the_run(lake: Path, tmp_path: Path) -> None:
    calls = {"n": 0}

    def is_cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > 3  # the 1st is the between-runs check; then walk-forward refits

    out = run_experiment(
        experiment(),
        lake=lake,
        out_dir=tmp_path,
        datasets=["ds_a"],
        extra_signals={"ml_logit": {"min_train_bins": [200], "refit_every_bins": [100]}},
        is_cancelled=is_cancelled,
    )
    assert out.cancelled
    assert len(out.runs) == 1
    assert str(out.runs[0].error).startswith("Cancelled: cancelled during walk-forward")


def test_parallel_cancel_starts_no_run_after_the_flag(lake: Path, tmp_path: Path) -> None:
    events: list[tuple[str, bool]] = []
    flag = {"cancel": False}

    def progress(ev: ProgressEvent) -> None:
        events.append((ev.kind, flag["cancel"]))
        if ev.kind in ("run_finished", "run_failed"):
            flag["cancel"] = True

    out = run_experiment(
        experiment(cooldown_bins=[5, 10, 20]),
        lake=lake,
        out_dir=tmp_path,
        datasets=["ds_a"],
        extra_signals=_sweep(),
        workers=2,
        progress=progress,
        is_cancelled=lambda: flag["cancel"],
    )
    assert out.cancelled
    assert not any(kind == "run_started" and after for kind, after in events)
    assert len(out.runs) <= 2 < 12


def _tables(out_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    runs = query(out_dir, "SELECT * EXCLUDE (duration_s) FROM runs ORDER BY run_index")
    thr = query(out_dir, "SELECT * FROM thresholds ORDER BY run_index, threshold")
    return runs, thr


def test_parallel_and_serial_give_the_same_results(lake: Path, tmp_path: Path) -> None:
    spec = experiment(tp_ticks=[3, 4])
    kw: dict[str, Any] = {"lake": lake, "datasets": ["ds_a", "ds_b"], "extra_signals": _sweep()}
    seen: list[ProgressEvent] = []
    serial = run_experiment(spec, out_dir=tmp_path / "s", workers=1, **kw)
    para = run_experiment(spec, out_dir=tmp_path / "p", workers=2, progress=seen.append, **kw)
    assert [r.status for r in serial.runs] == ["succeeded"] * 16
    assert [r.metrics for r in serial.runs] == [r.metrics for r in para.runs]
    assert _tables(tmp_path / "s") == _tables(tmp_path / "p")
    finished = [e.done for e in seen if e.kind == "run_finished"]
    assert finished == list(range(1, 17))  # progress is monotonic and complete


def test_results_are_queryable_with_duckdb(lake: Path, tmp_path: Path) -> None:
    out = run_experiment(
        experiment(),
        lake=lake,
        out_dir=tmp_path,
        datasets=["ds_a", "ds_b"],
        extra_signals={"derivative": {}, "jad": {}},
    )
    assert [p.name for p in out.artifacts] == [
        "runs.parquet",
        "thresholds.parquet",
        "experiment.json",
    ]
    best = query(
        tmp_path,
        """
        SELECT r.dataset_id, r.signal, r.spec_hash, r.code_version, max(t.mean_pnl_ticks) AS best
        FROM runs r JOIN thresholds t USING (run_id)
        GROUP BY ALL ORDER BY best DESC""",
    )
    assert len(best) == 4
    assert {b["spec_hash"] for b in best} == {out.spec_hash}
    assert all(b["code_version"].startswith("qm-research ") for b in best)
    n = query(tmp_path, "SELECT count(*) AS n FROM thresholds WHERE signal = 'jad'")[0]["n"]
    assert n == 2 * 6
