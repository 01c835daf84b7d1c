"""Cross-spec rules: references, produced columns and stages, horizons, weights, sweeps."""

from __future__ import annotations

from typing import Any

import pytest

from qm_specs import parse_document
from qm_specs.manifest import PRODUCED_FIELDS, fields_of_stage
from qm_specs.validate import validate_documents

_INSTRUMENT = {
    "kind": "instrument",
    "symbol": "TST",
    "root": "TST",
    "product_type": "future_mbo",
    "tick_size": 0.25,
    "multiplier": 5.0,
    "price_decimals": 2,
    "session": {"open": "09:30", "close": "16:00"},
}
_PIPELINE = {
    "kind": "pipeline",
    "name": "p",
    "instrument": "TST",
    "source": {"kind": "synthetic"},
    "capture": {"date": "2026-03-02", "start_time": "09:30", "end_time": "10:30"},
}
_BASE_SCHEMA = [
    {"name": "k", "dtype": "int32", "role": "grid_index"},
    {"name": "last_event_id", "dtype": "int64", "role": "metadata"},
    {"name": "rest_depth", "dtype": "float64", "role": "force"},
    {"name": "flow_score", "dtype": "float64", "role": "signal"},
]


def _serving(**extra: Any) -> dict[str, Any]:
    raw = {"kind": "serving", "name": "s", "pipeline": "p", "stream_schema": _BASE_SCHEMA}
    return {**raw, **extra}


def _problems(*specs: dict[str, Any], pipeline: dict[str, Any] = _PIPELINE) -> list[str]:
    raws = [_INSTRUMENT, pipeline, *specs]
    docs = [parse_document(f"f{i}.yaml", raw) for i, raw in enumerate(raws)]
    return [p.render() for p in validate_documents(docs).problems]


def _field(name: str, role: str = "force") -> dict[str, str]:
    return {"name": name, "dtype": PRODUCED_FIELDS[name].dtype, "role": role}


def test_a_consistent_chain_has_no_problems() -> None:
    experiment = {"kind": "experiment", "name": "e", "serving": "s"}
    assert _problems(_serving(), experiment) == []


def test_gold_field_in_a_silver_only_stream_is_rejected_by_name() -> None:
    schema = [*_BASE_SCHEMA[:3], _field("composite", "signal")]
    vis = {"cell_shader": {"signal_field": "rest_depth"}, "overlays": []}
    problems = _problems(_serving(model_id="silver_grid", stream_schema=schema, visualization=vis))
    assert problems == [
        "f2.yaml: stream_schema[3].name: field 'composite' is gold but the stream of model "
        "'silver_grid' carries only silver"
    ]


@pytest.mark.parametrize("name", fields_of_stage("gold"))
def test_every_gold_field_is_refused_on_a_silver_stream(name: str) -> None:
    schema = [*_BASE_SCHEMA[:3], _field(name, "signal")]
    vis = {"cell_shader": {"signal_field": "rest_depth"}, "overlays": []}
    problems = _problems(_serving(model_id="silver_grid", stream_schema=schema, visualization=vis))
    assert any(f"field '{name}' is gold" in p for p in problems)


def test_fields_nobody_produces_and_header_metadata_are_rejected() -> None:
    schema = [
        *_BASE_SCHEMA,
        {"name": "vortex", "dtype": "float64", "role": "force"},
        {"name": "mid_price", "dtype": "float64", "role": "metadata"},
    ]
    problems = _problems(_serving(stream_schema=schema))
    assert (
        "f2.yaml: stream_schema[4].name: field 'vortex' is not produced by the engine" in problems
    )
    assert any("stream_schema[5].name: 'mid_price' is per-bin metadata" in p for p in problems)


def test_schema_shape_rules() -> None:
    schema = [
        {"name": "k", "dtype": "int64", "role": "grid_index"},
        {"name": "rest_depth", "dtype": "float64", "role": "force"},
        {"name": "rest_depth", "dtype": "float64", "role": "force"},
        {"name": "microstate_id", "dtype": "int8", "role": "velocity"},
        {"name": "flow_score", "dtype": "float64", "role": "signal"},
    ]
    problems = _problems(_serving(stream_schema=schema))
    assert (
        "f2.yaml: stream_schema[0]: field 'k' must be dtype int32 with role grid_index" in problems
    )
    assert (
        "f2.yaml: stream_schema[0].dtype: field 'k' is produced as int32, declared int64"
        in problems
    )
    assert "f2.yaml: stream_schema[2].name: duplicate field 'rest_depth'" in problems
    assert (
        "f2.yaml: stream_schema[3].dtype: role 'velocity' requires dtype float64, got int8"
        in problems
    )
    assert "f2.yaml: stream_schema: the schema must declare field 'last_event_id'" in problems


def test_horizon_must_be_a_whole_multiple_of_the_effective_cell() -> None:
    pipeline = {**_PIPELINE, "engine": {"cell_width_ms": 250}}
    problems = _problems(_serving(projection={"horizons_ms": [250, 500, 600]}), pipeline=pipeline)
    assert problems == [
        "f2.yaml: projection.horizons_ms[2]: horizon 600 ms is not a whole multiple of the "
        "cell width 250 ms"
    ]


def test_weights_lengths_are_checked_across_pipeline_and_scoring_layers() -> None:
    problems = _problems(_serving(scoring={"rollup_weights": [1.0, 2.0]}))
    assert problems == [
        "f2.yaml: scoring: effective engine parameters are invalid: flow_rollup_weights has 2 "
        "values but flow_windows has 4; they must have the same length"
    ]


def test_engine_bucket_must_be_a_multiple_of_the_instrument_tick() -> None:
    pipeline = {**_PIPELINE, "engine": {"tick_size": 0.3}}
    problems = _problems(pipeline=pipeline)
    assert problems == [
        "f1.yaml: engine: tick_size 0.3 is not a whole multiple of the instrument tick 0.25"
    ]


def test_visualized_fields_must_be_in_the_schema() -> None:
    vis = {"cell_shader": {"signal_field": "composite", "depth_field": "rest_depth"}}
    problems = _problems(_serving(visualization=vis))
    assert (
        "f2.yaml: visualization.cell_shader.signal_field: field 'composite' is not in stream_schema"
        in problems
    )


def test_dangling_references_name_the_missing_spec_and_the_known_ones() -> None:
    problems = _problems(
        _serving(pipeline="nope"),
        {"kind": "experiment", "name": "e", "serving": "ghost"},
        {**_PIPELINE, "name": "p2", "instrument": "XXX"},
    )
    assert "f2.yaml: pipeline: no pipeline spec named 'nope' (known: p, p2)" in problems
    assert "f3.yaml: serving: no serving spec named 'ghost' (known: s)" in problems
    assert "f4.yaml: instrument: no instrument spec named 'XXX' (known: TST)" in problems


def test_sweep_keys_must_exist_and_fit_the_budget() -> None:
    experiment = {
        "kind": "experiment",
        "name": "e",
        "serving": "s",
        "eval": {"tp_ticks": [4, 8, 12]},
        "sweep": {
            "scoring": {"tanh_scale": [1.0, 2.0, 3.0], "treshold": [0.1]},
            "signal": {"params.d1_weight": [1.0]},
        },
        "budget": {"max_runs": 8},
    }
    problems = _problems(_serving(), experiment)
    assert "f3.yaml: sweep.scoring.treshold: 'treshold' is not a scoring key" in problems
    assert (
        "f3.yaml: sweep.signal.params.d1_weight: 'params.d1_weight' is not a parameter of "
        "signal 'none'" in problems
    )
    assert "f3.yaml: budget.max_runs: the sweep expands to 9 runs, over the budget of 8" in problems


def test_swept_values_obey_the_bounds_of_the_key_they_sweep() -> None:
    serving = _serving(signal={"name": "derivative"})
    experiment = {
        "kind": "experiment",
        "name": "e",
        "serving": "s",
        "sweep": {
            "scoring": {"neutral_threshold": [0.1, 1.5]},
            "signal": {"params.d1_weight": [-1.0, 1.0], "weights.mixed": [0.5]},
        },
    }
    assert _problems(serving, experiment) == [
        "f3.yaml: sweep.scoring.neutral_threshold[1]: Input should be less than 1, got 1.5",
        "f3.yaml: sweep.signal.params.d1_weight[0]: Input should be greater than or equal to 0, "
        "got -1.0",
    ]


def test_duplicate_names_are_reported() -> None:
    problems = _problems(_serving(), _serving())
    assert "f3.yaml: name: serving 's' is also defined in f2.yaml" in problems
