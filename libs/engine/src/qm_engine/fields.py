"""Produced-column manifest of the engine: silver and gold field names, dtypes, families, params.

Light on purpose: importing this module must not import numba or compile anything, because
qm_specs imports it to check serving specs against what the engine really produces.
Names are a contract: never rename a field once published, add new ones instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

Stage = Literal["silver", "gold"]
Family = Literal[
    "index", "flow", "depth", "velocity", "acceleration", "jerk", "force", "state", "label", "meta"
]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One produced column: name, numpy dtype name, stage and family."""

    name: str
    dtype: str
    stage: Stage
    family: Family
    doc: str = ""


_CHANNELS = ("add", "pull", "fill", "rest_depth", "bid_depth", "ask_depth")
_DERIV_FAMILY: dict[str, Family] = {"v": "velocity", "a": "acceleration", "j": "jerk"}


def _silver() -> tuple[FieldSpec, ...]:
    out = [
        FieldSpec(
            "k", "int32", "silver", "index", "row offset from the window centre, see ADR 0100"
        ),
        FieldSpec("price_int", "int64", "silver", "index", "absolute price of the row, 1e-9 units"),
        FieldSpec("add_mass", "float64", "silver", "flow", "decayed added quantity"),
        FieldSpec("pull_mass", "float64", "silver", "flow", "decayed cancelled quantity"),
        FieldSpec("fill_mass", "float64", "silver", "flow", "decayed filled quantity"),
        FieldSpec("rest_depth", "float64", "silver", "depth", "resting quantity, both sides"),
        FieldSpec("bid_depth", "float64", "silver", "depth", "resting bid quantity"),
        FieldSpec("ask_depth", "float64", "silver", "depth", "resting ask quantity"),
    ]
    for prefix, family in _DERIV_FAMILY.items():
        out += [FieldSpec(f"{prefix}_{c}", "float64", "silver", family) for c in _CHANNELS]
    out += [
        FieldSpec("last_event_id", "int64", "silver", "index", "engine event id last touching row"),
        FieldSpec("best_ask_move_ticks", "int32", "silver", "label"),
        FieldSpec("best_bid_move_ticks", "int32", "silver", "label"),
        FieldSpec("ask_reprice_sign", "int8", "silver", "label"),
        FieldSpec("bid_reprice_sign", "int8", "silver", "label"),
        FieldSpec("microstate_id", "int8", "silver", "label"),
        FieldSpec("chase_up_flag", "int8", "silver", "label"),
        FieldSpec("chase_down_flag", "int8", "silver", "label"),
    ]
    return tuple(out)


def _gold() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("pressure_variant", "float64", "gold", "force"),
        FieldSpec("vacuum_variant", "float64", "gold", "force"),
        FieldSpec("composite", "float64", "gold", "force", "rolled-up (P-V)/(|P|+|V|)"),
        FieldSpec("composite_d1", "float64", "gold", "velocity"),
        FieldSpec("composite_d2", "float64", "gold", "acceleration"),
        FieldSpec("composite_d3", "float64", "gold", "jerk"),
        FieldSpec("state5_code", "int8", "gold", "state"),
        FieldSpec("flow_score", "float64", "gold", "flow"),
        FieldSpec("flow_state_code", "int8", "gold", "state"),
    )


def _bins() -> tuple[FieldSpec, ...]:
    names = [
        ("bin_seq", "int64"),
        ("ts_ns", "int64"),
        ("bin_start_ns", "int64"),
        ("bin_end_ns", "int64"),
        ("bin_event_count", "int64"),
        ("event_id", "int64"),
        ("best_bid_price_int", "int64"),
        ("best_ask_price_int", "int64"),
        ("spot_ref_price_int", "int64"),
        ("center_price_int", "int64"),
        ("spread_ticks", "int64"),
        ("mid_price", "float64"),
        ("book_valid", "bool"),
    ]
    return tuple(FieldSpec(n, d, "silver", "meta") for n, d in names)


SILVER_FIELDS: tuple[FieldSpec, ...] = _silver()
GOLD_FIELDS: tuple[FieldSpec, ...] = _gold()
BIN_FIELDS: tuple[FieldSpec, ...] = _bins()
SILVER_NAMES: tuple[str, ...] = tuple(f.name for f in SILVER_FIELDS)
GOLD_NAMES: tuple[str, ...] = tuple(f.name for f in GOLD_FIELDS)
BIN_NAMES: tuple[str, ...] = tuple(f.name for f in BIN_FIELDS)


def produced_fields() -> dict[str, FieldSpec]:
    """Every per-row column the engine produces (silver grid plus gold), keyed by name."""
    return {f.name: f for f in (*SILVER_FIELDS, *GOLD_FIELDS)}


@dataclass(frozen=True, slots=True)
class EngineParams:
    """Every engine parameter with its default (domain.md §2, §4; DESIGN.md §5).

    tick_size None means the instrument's tick size; a larger value buckets prices.
    """

    cell_width_ms: int = 100
    grid_radius_ticks: int = 50
    n_absolute_ticks: int = 8192
    tick_size: float | None = None
    tau_velocity: float = 2.0
    tau_acceleration: float = 5.0
    tau_jerk: float = 10.0
    tau_rest_decay: float = 30.0
    c1_v_add: float = 1.0
    c2_v_rest_pos: float = 0.5
    c3_a_add: float = 0.3
    c4_v_pull: float = 1.0
    c5_v_fill: float = 1.5
    c6_v_rest_neg: float = 0.5
    c7_a_pull: float = 0.3
    flow_windows: tuple[int, ...] = (5, 10, 20, 40)
    flow_rollup_weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    flow_derivative_weights: tuple[float, ...] = (0.55, 0.30, 0.15)
    flow_tanh_scale: float = 3.0
    flow_neutral_threshold: float = 0.15
    flow_zscore_window_bins: int = 300
    flow_zscore_min_periods: int = 75

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def with_overrides(self, overrides: dict[str, Any]) -> EngineParams:
        """A copy with the given fields replaced; unknown names raise KeyError."""
        unknown = set(overrides) - set(param_names())
        if unknown:
            raise KeyError(f"unknown engine parameter(s): {', '.join(sorted(unknown))}")
        fixed: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()
        }
        return replace(self, **fixed)


def param_names() -> tuple[str, ...]:
    """Names of every engine parameter, in declaration order."""
    return tuple(f.name for f in fields(EngineParams))


PARAM_DEFAULTS: dict[str, Any] = EngineParams().to_dict()
