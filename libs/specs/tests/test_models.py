"""Strict parsing: unknown, renamed and mistyped keys are errors saying what is wrong and where."""

from __future__ import annotations

from typing import Any

import pytest

from qm_specs import ExperimentSpec, PipelineSpec, ServingSpec, parse_document
from qm_specs.base import Problem

_SCHEMA = [
    {"name": "k", "dtype": "int32", "role": "grid_index"},
    {"name": "last_event_id", "dtype": "int64", "role": "metadata"},
    {"name": "rest_depth", "dtype": "float64", "role": "force"},
    {"name": "flow_score", "dtype": "float64", "role": "signal"},
]


def _serving(**extra: Any) -> dict[str, Any]:
    return {"kind": "serving", "name": "s", "pipeline": "p", "stream_schema": _SCHEMA, **extra}


def _pipeline(**extra: Any) -> dict[str, Any]:
    base = {
        "kind": "pipeline",
        "name": "p",
        "instrument": "QMDEMO",
        "source": {"kind": "synthetic"},
        "capture": {"date": "2026-03-02", "start_time": "09:30", "end_time": "10:30"},
    }
    return {**base, **extra}


def _problems(raw: dict[str, Any]) -> dict[str, str]:
    doc = parse_document("f.yaml", raw)
    assert doc.spec is None
    return {p.path: p.reason for p in doc.problems}


def test_minimal_specs_parse_with_defaults() -> None:
    serving = parse_document("s.yaml", _serving()).spec
    assert isinstance(serving, ServingSpec)
    assert serving.model_id == "vacuum_pressure"
    assert serving.projection.horizons_ms == [100, 200, 300, 400]
    assert isinstance(parse_document("p.yaml", _pipeline()).spec, PipelineSpec)


def test_unknown_key_is_named_at_every_level() -> None:
    raw = _serving(visualization={"cell_shader": {"colour": "red"}}, extra_top=1)
    problems = _problems(raw)
    assert problems["visualization.cell_shader.colour"] == "unknown key 'colour'"
    assert problems["extra_top"] == "unknown key 'extra_top'"


def test_a_typo_gets_a_suggestion() -> None:
    problems = _problems(_pipeline(engine={"tau_velo": 2.0}))
    assert problems["engine.tau_velo"] == "unknown key 'tau_velo'; did you mean 'tau_velocity'?"


def test_renamed_key_in_a_current_file_names_the_new_key() -> None:
    problems = _problems(_serving(scoring={"threshold_neutral": 0.2}))
    assert "renamed to 'neutral_threshold'" in problems["scoring.threshold_neutral"]


def test_legacy_role_in_a_current_file_is_an_error_naming_the_current_roles() -> None:
    schema = [*_SCHEMA[:2], {"name": "rest_depth", "dtype": "float64", "role": "feature"}]
    reason = _problems(_serving(stream_schema=schema))["stream_schema[2].role"]
    assert "'feature' is a legacy role" in reason
    assert "grid_index" in reason


@pytest.mark.parametrize(
    ("engine", "path", "needle"),
    [
        ({"cell_width_ms": "100"}, "engine.cell_width_ms", "valid integer, got '100'"),
        ({"cell_width_ms": 99.5}, "engine.cell_width_ms", "valid integer"),
        ({"tau_velocity": 0}, "engine.tau_velocity", "greater than 0"),
        ({"flow_neutral_threshold": 1.0}, "engine.flow_neutral_threshold", "less than 1"),
        ({"flow_derivative_weights": [1, 1]}, "engine.flow_derivative_weights", "at least 3"),
        ({"tau_velo": 2.0}, "engine.tau_velo", "unknown key 'tau_velo'"),
    ],
)
def test_engine_parameters_are_typed_and_bounded(engine: Any, path: str, needle: str) -> None:
    assert needle in _problems(_pipeline(engine=engine))[path]


@pytest.mark.parametrize(
    ("engine", "needle"),
    [
        ({"grid_radius_ticks": 50, "n_absolute_ticks": 200}, "needs at least 204"),
        ({"tau_velocity": 5.0, "tau_acceleration": 5.01, "tau_jerk": 10.0}, "more than 1%"),
    ],
)
def test_engine_rules_the_engine_itself_enforces(engine: dict[str, Any], needle: str) -> None:
    assert needle in _problems(_pipeline(engine=engine))["engine"]


def test_engine_rollup_weights_must_match_windows() -> None:
    problems = _problems(_pipeline(engine={"flow_windows": [5, 10], "flow_rollup_weights": [1.0]}))
    assert "same length" in problems["engine"]


def test_a_value_failing_every_union_member_is_one_problem() -> None:
    raw = {"kind": "experiment", "name": "e", "serving": "s"}
    problems = _problems({**raw, "sweep": {"scoring": {"tanh_scale": [{"a": 1}]}}})
    assert problems == {
        "sweep.scoring.tanh_scale[0]": (
            "Input should be a valid number, integer, boolean or string, got a dict"
        )
    }


def test_unquoted_yaml_time_gets_a_clear_message() -> None:
    capture = {"date": "2026-03-02", "start_time": 570, "end_time": "10:30"}
    assert "quoted string 'HH:MM'" in _problems(_pipeline(capture=capture))["capture.start_time"]


def test_capture_window_must_be_ordered() -> None:
    capture = {"date": "2026-03-02", "start_time": "10:30", "end_time": "09:30"}
    assert "must be before" in _problems(_pipeline(capture=capture))["capture"]


def test_source_path_cannot_leave_the_data_root() -> None:
    problems = _problems(_pipeline(source={"kind": "dbn_file", "path": "a/../../etc/x.dbn"}))
    assert "no '..'" in problems["source.path"]


def test_derivative_signal_params_are_strict_and_need_a_weight() -> None:
    zero = {"name": "derivative", "params": {"d1_weight": 0.0}}
    assert "at least one of d1_weight" in _problems(_serving(signal=zero))["signal.params"]
    typo = {"name": "derivative", "weights": {"bull": 1.0}}
    assert _problems(_serving(signal=typo))["signal.weights.bull"] == "unknown key 'bull'"


def test_visualization_rules() -> None:
    vis = {"display_mode": "heatmap", "cell_shader": None}
    assert "needs a cell_shader" in _problems(_serving(visualization=vis))["visualization"]
    overlays = [
        {"id": "a", "type": "spot_trail", "z_order": 1},
        {"id": "b", "type": "bbo_trail", "z_order": 1},
    ]
    reason = _problems(_serving(visualization={"overlays": overlays}))["visualization"]
    assert "z_order" in reason
    bands = [{"id": "p", "type": "projection_bands", "z_order": 1}]
    reason = _problems(_serving(visualization={"overlays": bands}))["visualization.overlays[0]"]
    assert "signal_field" in reason


def test_experiment_eval_defaults_and_bounds() -> None:
    raw = {"kind": "experiment", "name": "e", "serving": "s"}
    spec = parse_document("e.yaml", raw).spec
    assert isinstance(spec, ExperimentSpec)
    assert (spec.eval.tp_ticks, spec.eval.sl_ticks, spec.eval.max_hold_bins) == ([8], [4], 1200)
    bad = _problems({**raw, "eval": {"max_hold_bins": 0, "warmup_bins": -1}})
    assert set(bad) == {"eval.max_hold_bins", "eval.warmup_bins"}


def test_kind_comes_from_the_file_not_the_folder() -> None:
    doc = parse_document("configs/serving/x.yaml", {"name": "x"})
    assert doc.problems == [
        Problem(
            "configs/serving/x.yaml",
            "kind",
            "required key is missing; one of instrument, pipeline, serving, experiment, "
            "published_serving, gold_dsl, search_template, roll_policy",
        )
    ]
    assert "unknown kind 'servng'" in parse_document("x", {"kind": "servng"}).problems[0].reason


def test_specs_are_immutable() -> None:
    spec = parse_document("p.yaml", _pipeline()).spec
    with pytest.raises(ValueError, match="frozen"):
        spec.name = "other"  # type: ignore[union-attr]
