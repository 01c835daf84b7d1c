"""End to end: synthetic MBO -> qm_engine dataset -> resolved spec -> runs and results."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from qm_engine.dataset import build_dataset
from qm_engine.fields import GOLD_NAMES
from qm_market.instruments import load_instrument
from qm_market.synth import SynthSpec, write_session
from qm_research import expand, run_experiment
from qm_research.data import dataset_dir, load_market_data, read_manifest
from qm_research.regold import recompute_gold
from qm_research.results import query
from qm_specs.experiment import ExperimentSpec
from qm_specs.loader import load_file
from qm_specs.resolve import SpecRegistry, resolved_config
from qm_specs.serving import ServingSpec

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


@pytest.fixture(scope="session")
def engine_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("engine")
    inst = load_instrument(CONFIGS / "instruments" / "QMDEMO.yaml")
    spec = SynthSpec(inst, date(2026, 3, 2), "09:30", 1.0, 7)
    write_session(spec, root / "s.dbn")
    start = spec.start_ns
    ref = build_dataset(
        source=root / "s.dbn",
        instrument=inst,
        start_ns=start,
        end_ns=start + 60 * 1_000_000_000,
        lake=root / "lake",
    )
    return root / "lake", ref.dataset_id


def _resolved(scoring: dict[str, list[float]] | None = None) -> dict[str, object]:
    specs = [
        load_file(CONFIGS / p).spec
        for p in ("instruments/QMDEMO.yaml", "pipeline/qmdemo_synth_60m.yaml")
    ]
    serving = ServingSpec.model_validate(
        {
            "kind": "serving",
            "name": "demo_derivative",
            "pipeline": "qmdemo_synth_60m",
            "signal": {
                "name": "derivative",
                "params": {"zscore_window_bins": 120, "zscore_min_periods": 30},
            },
            "stream_schema": [{"name": "k", "dtype": "int32", "role": "grid_index"}],
        }
    )
    exp = ExperimentSpec.model_validate(
        {
            "kind": "experiment",
            "name": "demo_derivative_sweep",
            "serving": "demo_derivative",
            "eval": {
                "tp_ticks": [2],
                "sl_ticks": [2],
                "cooldown_bins": [10],
                "max_hold_bins": 100,
                "warmup_bins": 150,
                "min_signals": 2,
                "costs": {"commission_per_contract": 1.0, "slippage_ticks": 0.25},
            },
            "sweep": {
                "signal": {"params.d1_weight": [1.0, 0.5], "params.d2_weight": [0.0, 0.5]},
                "scoring": scoring or {},
            },
        }
    )
    reg = SpecRegistry([*(s for s in specs if s is not None), serving, exp])
    return resolved_config(exp, reg)


def test_sweep_runs_on_an_engine_dataset(engine_dataset: tuple[Path, str], tmp_path: Path) -> None:
    lake, dataset_id = engine_dataset
    resolved = _resolved()
    runs = expand(resolved, lake=lake, datasets=[dataset_id])
    assert len(runs) == 4
    assert runs[0].cost_ticks == pytest.approx(0.25 + 1.0 / (0.5 * 10.0))  # QMDEMO tick value 5
    out = run_experiment(
        resolved,
        lake=lake,
        out_dir=tmp_path,
        datasets=[dataset_id],
        extra_signals={"ads": {}, "jad": {}, "spg": {}},
        workers=2,
    )
    assert [r.status for r in out.runs] == ["succeeded"] * 7, [r.error for r in out.runs]
    rows = query(tmp_path, "SELECT signal, sum(n_signals) AS n FROM thresholds GROUP BY 1")
    assert {r["signal"] for r in rows} == {"derivative", "ads", "jad", "spg"}
    assert sum(r["n"] for r in rows) > 0


def test_gold_recomputed_from_silver_matches_the_stored_gold(
    engine_dataset: tuple[Path, str],
) -> None:
    lake, dataset_id = engine_dataset
    import pyarrow.parquet as pq

    stored = load_market_data(lake, dataset_id, GOLD_NAMES)
    bins = pq.read_table(dataset_dir(lake, dataset_id) / "bins.parquet")
    again = recompute_gold(
        dataset_dir(lake, dataset_id),
        read_manifest(lake, dataset_id),
        {},
        list(GOLD_NAMES),
        bins,
        stored.radius,
    )
    for name in GOLD_NAMES:
        assert np.array_equal(again[name], stored.grid(name)), name


def test_scoring_sweep_recomputes_gold_per_combination(
    engine_dataset: tuple[Path, str], tmp_path: Path
) -> None:
    lake, dataset_id = engine_dataset
    resolved = _resolved({"tanh_scale": [1.0, 3.0]})
    out = run_experiment(
        resolved,
        lake=lake,
        out_dir=tmp_path,
        datasets=[dataset_id],
        extra_signals={"flow_score": {}},
    )
    flow = [r for r in out.runs if r.run_spec.signal == "flow_score"]
    assert [r.run_spec.gold_params["flow_tanh_scale"] for r in flow] == [1.0, 3.0]
    assert all(r.status == "succeeded" for r in out.runs)
    assert flow[0].thresholds != flow[1].thresholds
    sharp, soft = (
        load_market_data(lake, dataset_id, ["flow_score"], gold_params=r.run_spec.gold_params)
        for r in flow
    )
    frac = [float((np.abs(m.grid("flow_score")) >= 0.15).mean()) for m in (sharp, soft)]
    assert frac[0] > frac[1]  # tanh(z / 1) leaves the neutral band more often than tanh(z / 3)
