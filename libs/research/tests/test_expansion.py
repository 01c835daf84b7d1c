"""Sweep expansion: deterministic order and ids, serving-signal params, budget, costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qm_research import expand
from qm_research.expansion import normalise

from .conftest import experiment


def _resolved(**sweep: list[Any]) -> dict[str, Any]:
    exp = experiment(tp_ticks=[4, 8], cooldown_bins=[0, 10])
    exp["serving"] = "demo_derivative"
    exp["sweep"] = {"signal": sweep}
    signal = {
        "name": "derivative",
        "params": {"zscore_window_bins": 240, "zscore_min_periods": 60},
        "weights": {"mixed": 0.0},
    }
    return {
        "experiment": exp,
        "serving": {"signal": signal},
        "instrument": {"tick_size": 0.25, "multiplier": 2.0},
    }


def test_expansion_is_deterministic_with_stable_ids(lake: Path) -> None:
    spec = _resolved(**{"params.zscore_window_bins": [100, 200], "weights.mixed": [0.0, 0.5]})
    first = expand(spec, lake=lake, datasets=["ds_a", "ds_b"])
    again = expand(spec, lake=lake, datasets=["ds_a", "ds_b"])
    assert [r.run_id for r in first] == [r.run_id for r in again]
    assert len(first) == 2 * 4 * 2 * 2  # datasets x params grid x tp x cooldown
    assert len({r.run_id for r in first}) == len(first)
    assert [r.index for r in first] == list(range(len(first)))
    head = [
        (
            r.dataset_id,
            r.params["zscore_window_bins"],
            r.params["mixed"],
            r.tp_ticks,
            r.cooldown_bins,
        )
        for r in first[:5]
    ]
    assert head == [
        ("ds_a", 100, 0.0, 4, 0),
        ("ds_a", 100, 0.0, 4, 10),
        ("ds_a", 100, 0.0, 8, 0),
        ("ds_a", 100, 0.0, 8, 10),
        ("ds_a", 200, 0.0, 4, 0),
    ]  # sorted keys: mixed outer
    assert first[0].params["zscore_min_periods"] == 60  # serving params carried, not defaults


def test_run_id_changes_with_content_only(lake: Path) -> None:
    a = expand(_resolved(), lake=lake, datasets=["ds_a"])
    b = expand(_resolved(), lake=lake, datasets=["ds_b", "ds_a"])
    assert a[0].run_id == b[len(a)].run_id  # same content, other position: same id
    assert a[0].run_id != b[0].run_id


def test_spec_hash_is_the_canonical_hash_of_the_resolved_config(lake: Path) -> None:
    from qm_core.hashing import canonical_hash

    spec = _resolved()
    runs = expand(spec, lake=lake, datasets=["ds_a"])
    assert runs[0].spec_hash == canonical_hash(spec) == normalise(spec).spec_hash


def test_over_budget_sweep_is_refused(lake: Path) -> None:
    spec = _resolved(**{"params.zscore_window_bins": list(range(100, 200))})
    spec["experiment"]["budget"] = {"max_runs": 50}
    with pytest.raises(ValueError, match="over budget"):
        expand(spec, lake=lake, datasets=["ds_a"])


def test_scoring_sweep_expands_gold_params_per_combination(lake: Path) -> None:
    spec = _resolved()
    spec["engine"] = {"flow_tanh_scale": 3.0, "flow_neutral_threshold": 0.15}
    spec["experiment"]["sweep"]["scoring"] = {"tanh_scale": [2.0, 3.0]}
    runs = expand(spec, lake=lake, datasets=["ds_a"])
    assert len(runs) == 2 * 4  # scoring x (tp x cooldown)
    assert [r.gold_params for r in runs[::4]] == [
        {"flow_tanh_scale": 2.0, "flow_neutral_threshold": 0.15},
        {"flow_tanh_scale": 3.0, "flow_neutral_threshold": 0.15},
    ]
    assert runs[0].run_id != runs[4].run_id


def test_scoring_sweep_without_the_resolved_engine_is_refused(lake: Path) -> None:
    spec = _resolved()
    spec["experiment"]["sweep"]["scoring"] = {"tanh_scale": [2.0, 3.0]}
    with pytest.raises(ValueError, match=r"sweep\.scoring needs the resolved config"):
        expand(spec, lake=lake, datasets=["ds_a"])


def test_commission_is_converted_to_ticks_with_the_tick_value(lake: Path) -> None:
    spec = _resolved()
    spec["experiment"]["eval"]["costs"] = {"commission_per_contract": 1.0, "slippage_ticks": 0.5}
    runs = expand(spec, lake=lake, datasets=["ds_a"])
    assert runs[0].cost_ticks == pytest.approx(0.5 + 1.0 / (0.25 * 2.0))


def test_extra_catalogue_signals_expand_after_the_serving_signal(lake: Path) -> None:
    runs = expand(
        _resolved(), lake=lake, datasets=["ds_a"], extra_signals={"pfp": {"lag": [3, 5]}, "ads": {}}
    )
    assert [r.signal for r in runs[::4]] == ["derivative", "ads", "pfp", "pfp"]
    assert [r.params for r in runs if r.signal == "pfp"][::4] == [{"lag": 3}, {"lag": 5}]
