"""Validation and resolution of EngineParams against an instrument's tick size."""

from __future__ import annotations

from qm_core.errors import Invalid
from qm_engine.fields import EngineParams

PRICE_SCALE = 1e-9


def validate_params(params: EngineParams) -> EngineParams:
    """Raise Invalid naming the first bad parameter; return params unchanged otherwise."""
    taus = (params.tau_velocity, params.tau_acceleration, params.tau_jerk)
    checks = [
        (params.cell_width_ms > 0, "cell_width_ms must be > 0"),
        (params.grid_radius_ticks >= 0, "grid_radius_ticks must be >= 0"),
        (
            params.n_absolute_ticks >= 4 * (params.grid_radius_ticks + 1),
            "n_absolute_ticks too small",
        ),
        (all(t > 0 for t in (*taus, params.tau_rest_decay)), "every tau must be > 0"),
        (_distinct(taus), "tau_velocity, tau_acceleration, tau_jerk must differ by > 1%"),
        (min(_coefficients(params)) >= 0, "coefficients c1..c7 must be >= 0"),
        (params.tick_size is None or params.tick_size > 0, "tick_size must be > 0"),
        (len(params.flow_windows) == len(params.flow_rollup_weights), "flow windows/weights"),
        (all(w >= 1 for w in params.flow_windows), "flow_windows must be >= 1 bin"),
        (len(params.flow_derivative_weights) == 3, "flow_derivative_weights needs 3 values"),
        (sum(abs(w) for w in params.flow_derivative_weights) > 0, "derivative weights all 0"),
        (params.flow_tanh_scale > 0, "flow_tanh_scale must be > 0"),
        (0 < params.flow_neutral_threshold < 1, "flow_neutral_threshold must be in (0, 1)"),
        (params.flow_zscore_window_bins >= 2, "flow_zscore_window_bins must be >= 2"),
        (
            1 <= params.flow_zscore_min_periods <= params.flow_zscore_window_bins,
            "flow_zscore_min_periods must be in [1, flow_zscore_window_bins]",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise Invalid(f"bad engine parameter: {message}")
    return params


def _distinct(taus: tuple[float, ...]) -> bool:
    return all(abs(a - b) > 0.01 * max(a, b) for i, a in enumerate(taus) for b in taus[i + 1 :])


def _coefficients(p: EngineParams) -> tuple[float, ...]:
    return (
        p.c1_v_add,
        p.c2_v_rest_pos,
        p.c3_a_add,
        p.c4_v_pull,
        p.c5_v_fill,
        p.c6_v_rest_neg,
        p.c7_a_pull,
    )


def resolve_tick_int(params: EngineParams, instrument_tick_int: int) -> int:
    """The engine's level size in 1e-9 units: the param override, else the instrument tick."""
    if params.tick_size is None:
        return instrument_tick_int
    tick_int = round(params.tick_size / PRICE_SCALE)
    if tick_int % instrument_tick_int:
        raise Invalid("bad engine parameter: tick_size must be a multiple of the instrument tick")
    return tick_int
