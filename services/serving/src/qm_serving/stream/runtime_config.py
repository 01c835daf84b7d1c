"""The first stream message: resolved snapshot, grid schema, visualization and lineage."""

from __future__ import annotations

from typing import Any

from qm_engine import fields as ef
from qm_serving.versions.service import VerifiedVersion

PRICE_SCALE = 1e-9
_GOLD_CONFIG_KEYS = (
    "c1_v_add",
    "c2_v_rest_pos",
    "c3_a_add",
    "c4_v_pull",
    "c5_v_fill",
    "c6_v_rest_neg",
    "c7_a_pull",
    "flow_windows",
    "flow_rollup_weights",
    "flow_derivative_weights",
    "flow_tanh_scale",
    "flow_neutral_threshold",
    "flow_zscore_window_bins",
    "flow_zscore_min_periods",
)


def grid_schema_fields(version: VerifiedVersion) -> list[dict[str, str]]:
    """Declared stream fields with wire dtype, stage, family (from the engine) and role."""
    produced = ef.produced_fields()
    return [
        {
            "name": f.name,
            "dtype": f.dtype,
            "stage": produced[f.name].stage,
            "family": produced[f.name].family,
            "role": f.role,
        }
        for f in version.spec.runtime_snapshot.serving.stream_schema
    ]


def _instrument(snap: dict[str, Any], engine: dict[str, Any]) -> dict[str, Any]:
    inst = snap["instrument"]
    tick = engine.get("tick_size") or inst["tick_size"]
    return {
        "product_type": inst["product_type"],
        "symbol": inst["symbol"],
        "symbol_root": inst["root"],
        "price_scale": PRICE_SCALE,
        "tick_size": inst["tick_size"],
        "bucket_size_dollars": tick,
        "rel_tick_size": tick / inst["tick_size"],
        "contract_multiplier": inst["multiplier"],
        "qty_unit": inst["qty_unit"],
        "price_decimals": inst["price_decimals"],
    }


def _lineage(version: VerifiedVersion) -> dict[str, Any]:
    row = version.row
    return {
        **version.spec.lineage.model_dump(mode="json"),
        "serving_id": row.serving_id,
        "spec_sha256": row.spec_sha256,
        "snapshot_hash": row.snapshot_hash,
        "dataset_id": row.dataset_id,
        "engine_version": row.engine_version,
        "gold_dsl_id": row.gold_dsl_id,
        "gold_dsl_hash": row.gold_dsl_hash,
    }


def runtime_config(
    version: VerifiedVersion, *, selector: str, session: dict[str, Any]
) -> dict[str, Any]:
    """The `runtime_config` message of a stream of `version`."""
    snap = version.spec.runtime_snapshot.model_dump(mode="json")
    engine, serving = snap["engine"], snap["serving"]
    return {
        "type": "runtime_config",
        "stream_format": "dense_grid",
        "selector": selector,
        "serving_id": version.row.serving_id,
        "display_name": serving["display_name"],
        "model_id": serving["model_id"],
        **_instrument(snap, engine),
        "grid_radius_ticks": engine["grid_radius_ticks"],
        "grid_rows": 2 * engine["grid_radius_ticks"] + 1,
        "cell_width_ms": engine["cell_width_ms"],
        "n_absolute_ticks": engine["n_absolute_ticks"],
        "projection_horizons_ms": serving["projection"]["horizons_ms"],
        "projection_horizons_bins": serving["projection"]["horizons_bins"],
        "gold_config": {k: engine[k] for k in _GOLD_CONFIG_KEYS},
        "grid_schema_fields": grid_schema_fields(version),
        "visualization": serving["visualization"],
        "signal": serving["signal"],
        "lineage": _lineage(version),
        "session": session,
        "snapshot": snap,
    }


def announce(
    config: dict[str, Any], *, epoch: int, previous_serving_id: str | None
) -> dict[str, Any]:
    """The runtime_config as sent on a socket: `epoch` 0 when it opens, +1 per followed alias move.

    Each runtime_config starts an epoch: `bin_seq` is strictly increasing within an epoch and
    restarts with the next one (it is the new version's producer sequence).
    """
    return {**config, "epoch": epoch, "previous_serving_id": previous_serving_id}
