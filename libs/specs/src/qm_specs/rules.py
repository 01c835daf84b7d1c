"""Cross-spec rules: projection vs cell width, stream schema vs produced columns, sweeps vs budget.

Each rule returns (path, reason) pairs; the caller adds the file name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from qm_specs.base import join_path
from qm_specs.experiment import ExperimentSpec
from qm_specs.manifest import BIN_METADATA_FIELDS, MODEL_STAGES, PRODUCED_FIELDS
from qm_specs.serving import ScoringConfig, Signal, StreamField
from qm_specs.visualization import VisualizationConfig

Issue = tuple[str, str]
_REQUIRED_FIELDS = {"k": ("int32", "grid_index"), "last_event_id": ("int64", "metadata")}
_ROLE_DTYPES = {"velocity": ("float64",), "indicator": ("int8", "int32")}


def check_projection(horizons_ms: Sequence[int], cell_width_ms: int, base: str) -> list[Issue]:
    """Every projection horizon is a whole multiple of the cell width."""
    return [
        (
            join_path(base, "horizons_ms", i),
            f"horizon {h} ms is not a whole multiple of the cell width {cell_width_ms} ms",
        )
        for i, h in enumerate(horizons_ms)
        if h % cell_width_ms
    ]


def check_tick_size(tick_size: float, instrument_tick: float, path: str) -> list[Issue]:
    """An engine bucket (tick_size) is a whole multiple of the instrument's tick."""
    ratio = tick_size / instrument_tick
    if ratio >= 1 and math.isclose(ratio, round(ratio), rel_tol=0, abs_tol=1e-9):
        return []
    reason = (
        f"tick_size {tick_size} is not a whole multiple of the instrument tick {instrument_tick}"
    )
    return [(path, reason)]


def _field_issues(i: int, f: StreamField, model_id: str) -> list[Issue]:
    path = join_path("stream_schema", i)
    produced = PRODUCED_FIELDS.get(f.name)
    stages = MODEL_STAGES[model_id]
    if produced is None and f.name in BIN_METADATA_FIELDS:
        reason = f"'{f.name}' is per-bin metadata sent in the grid_update header, not a grid column"
        return [(join_path(path, "name"), reason)]
    if produced is None:
        return [(join_path(path, "name"), f"field '{f.name}' is not produced by the engine")]
    out: list[Issue] = []
    if produced.stage not in stages:
        out.append(
            (
                join_path(path, "name"),
                f"field '{f.name}' is {produced.stage} but the stream of model '{model_id}' "
                f"carries only {'/'.join(stages)}",
            )
        )
    if f.dtype != produced.dtype:
        reason = f"field '{f.name}' is produced as {produced.dtype}, declared {f.dtype}"
        out.append((join_path(path, "dtype"), reason))
    allowed = _ROLE_DTYPES.get(f.role)
    if allowed and f.dtype not in allowed:
        reason = f"role '{f.role}' requires dtype {' or '.join(allowed)}, got {f.dtype}"
        out.append((join_path(path, "dtype"), reason))
    return out


def check_stream_schema(schema: Sequence[StreamField], model_id: str) -> list[Issue]:
    """Names unique, k and last_event_id present, every field produced at a stage the stream has."""
    out: list[Issue] = []
    seen: set[str] = set()
    for i, f in enumerate(schema):
        if f.name in seen:
            out.append((join_path("stream_schema", i, "name"), f"duplicate field '{f.name}'"))
        seen.add(f.name)
        out += _field_issues(i, f, model_id)
        want = _REQUIRED_FIELDS.get(f.name)
        if want and (f.dtype, f.role) != want:
            reason = f"field '{f.name}' must be dtype {want[0]} with role {want[1]}"
            out.append((join_path("stream_schema", i), reason))
    for name in _REQUIRED_FIELDS:
        if name not in seen:
            out.append(("stream_schema", f"the schema must declare field '{name}'"))
    return out


def check_visualization(vis: VisualizationConfig, schema: Sequence[StreamField]) -> list[Issue]:
    """The fields the shader and overlays draw are in the stream schema."""
    names = {f.name for f in schema}
    out: list[Issue] = []
    if vis.cell_shader is not None:
        for key in ("signal_field", "depth_field"):
            value = getattr(vis.cell_shader, key)
            if value not in names:
                path = join_path("visualization", "cell_shader", key)
                out.append((path, f"field '{value}' is not in stream_schema"))
    for i, overlay in enumerate(vis.overlays):
        value = overlay.params.get("signal_field")
        if overlay.enabled and value is not None and value not in names:
            path = join_path("visualization", "overlays", i, "params", "signal_field")
            out.append((path, f"field '{value}' is not in stream_schema"))
    return out


def _signal_keys(signal: Signal | None) -> set[str]:
    if signal is None or signal.name != "derivative":
        return set()
    return {f"params.{k}" for k in type(signal.params).model_fields} | {
        f"weights.{k}" for k in type(signal.weights).model_fields
    }


def _value_issues(
    model: type[BaseModel], key: str, values: Sequence[Any], base: str
) -> list[Issue]:
    out: list[Issue] = []
    for i, value in enumerate(values):
        try:
            model.model_validate({key: value})
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            out.append((join_path(base, i), f"{reason}, got {value!r}"))
    return out


def check_experiment(exp: ExperimentSpec, signal: Signal | None) -> list[Issue]:
    """Sweep keys exist in the serving spec, every swept value is valid, the runs fit the budget."""
    out: list[Issue] = []
    for key, values in exp.sweep.scoring.items():
        path = join_path("sweep", "scoring", key)
        if key not in ScoringConfig.model_fields:
            out.append((path, f"'{key}' is not a scoring key"))
        else:
            out += _value_issues(ScoringConfig, key, values, path)
    known = _signal_keys(signal)
    for key, values in exp.sweep.signal.items():
        path = join_path("sweep", "signal", key)
        if key not in known or signal is None or signal.name != "derivative":
            signal_name = signal.name if signal else "none"
            out.append((path, f"'{key}' is not a parameter of signal '{signal_name}'"))
            continue
        block, param = key.split(".", 1)
        model = type(signal.params) if block == "params" else type(signal.weights)
        out += _value_issues(model, param, values, path)
    runs = expanded_run_count(exp)
    if runs > exp.budget.max_runs:
        reason = f"the sweep expands to {runs} runs, over the budget of {exp.budget.max_runs}"
        out.append(("budget.max_runs", reason))
    return out


def expanded_run_count(exp: ExperimentSpec) -> int:
    """How many run specs the sweep expands to (product of every axis length)."""
    axes = [len(v) for v in (*exp.sweep.scoring.values(), *exp.sweep.signal.values())]
    ev = exp.eval
    return math.prod([*axes, len(ev.tp_ticks), len(ev.sl_ticks), len(ev.cooldown_bins)])
