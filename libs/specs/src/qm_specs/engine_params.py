"""Strict models of the engine parameters, built from the engine's own names, types and defaults.

`qm_engine.fields.EngineParams` is the single list of parameters; this module adds the bounds a
spec must respect and turns the engine's tuples into YAML lists.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

from pydantic import Field, create_model, model_validator

from qm_engine.fields import EngineParams as _EngineDefaults
from qm_specs.base import StrictModel
from qm_specs.manifest import ENGINE_PARAM_DEFAULTS

# bounds the physics needs; names not listed get the generic bound of their type
_BOUNDS: dict[str, dict[str, Any]] = {
    "n_absolute_ticks": {"ge": 3},
    "flow_neutral_threshold": {"gt": 0, "lt": 1},
    "flow_zscore_window_bins": {"ge": 2},
    "flow_zscore_min_periods": {"ge": 2},
    "flow_derivative_weights": {"min_length": 3, "max_length": 3},
}
_POSITIVE_PREFIXES = ("tau_", "tick_size", "flow_tanh_scale", "cell_width", "grid_radius")


def _bounds(name: str) -> dict[str, Any]:
    if name in _BOUNDS:
        return _BOUNDS[name]
    return {"gt": 0} if name.startswith(_POSITIVE_PREFIXES) else {"ge": 0}


# types are built at runtime from the engine's hints, which static typing cannot follow
_ANNOTATED: Any = typing.Annotated
_LIST: Any = list


def _spec_type(name: str, hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        item = _ANNOTATED[args[0], Field(gt=0)]
        lengths = {"min_length": 1, **_BOUNDS.get(name, {})}
        return _ANNOTATED[_LIST[item], Field(**lengths)]
    if hint in (int, float):
        return _ANNOTATED[hint, Field(**_bounds(name))]
    inner = [a for a in args if a is not type(None)]
    return _ANNOTATED[inner[0], Field(**_bounds(name))] | None


def _check_physics(values: dict[str, Any]) -> None:
    # the engine refuses these too (qm_engine.params); catching them here keeps them out of runtime
    radius, n_ticks = values.get("grid_radius_ticks"), values.get("n_absolute_ticks")
    if radius is not None and n_ticks is not None and n_ticks < 4 * (radius + 1):
        raise ValueError(
            f"n_absolute_ticks {n_ticks} is too small for grid_radius_ticks {radius} "
            f"(needs at least {4 * (radius + 1)})"
        )
    taus = [
        float(t) for k in ("tau_velocity", "tau_acceleration", "tau_jerk") if (t := values.get(k))
    ]
    if len(taus) == 3 and any(
        abs(a - b) <= 0.01 * max(a, b) for i, a in enumerate(taus) for b in taus[i + 1 :]
    ):
        raise ValueError("tau_velocity, tau_acceleration and tau_jerk must differ by more than 1%")


def _check_lengths(values: dict[str, Any]) -> None:
    windows, weights = values.get("flow_windows"), values.get("flow_rollup_weights")
    if windows is not None and weights is not None and len(windows) != len(weights):
        raise ValueError(
            f"flow_rollup_weights has {len(weights)} values but flow_windows has {len(windows)}; "
            "they must have the same length"
        )
    window, periods = values.get("flow_zscore_window_bins"), values.get("flow_zscore_min_periods")
    if window is not None and periods is not None and periods > window:
        raise ValueError("flow_zscore_min_periods must not exceed flow_zscore_window_bins")


class _EngineBase(StrictModel):
    @model_validator(mode="after")
    def _consistent(self) -> _EngineBase:
        values = self.model_dump()
        _check_lengths(values)
        _check_physics(values)
        return self


def _build(model_name: str, *, optional: bool) -> type[StrictModel]:
    hints = typing.get_type_hints(_EngineDefaults)
    fields: dict[str, Any] = {}
    for name in ENGINE_PARAM_DEFAULTS:
        kind = _spec_type(name, hints[name])
        nullable = optional or type(None) in typing.get_args(hints[name])
        fields[name] = (kind | None, None) if nullable else (kind, ...)
    return create_model(model_name, __base__=_EngineBase, **fields)


if TYPE_CHECKING:

    class EngineOverrides(StrictModel):
        """Engine parameters a spec overrides; omitted ones keep the engine default."""

    class EngineParams(StrictModel):
        """Every engine parameter, resolved."""

else:
    EngineOverrides = _build("EngineOverrides", optional=True)
    EngineParams = _build("EngineParams", optional=False)


def resolve_engine_params(*layers: dict[str, Any]) -> dict[str, Any]:
    """Engine defaults with each layer's non-null values applied in order."""
    out = dict(ENGINE_PARAM_DEFAULTS)
    for layer in layers:
        out.update({k: v for k, v in layer.items() if v is not None})
    return out
