"""The produced-column manifest as the specs see it, adapted from the engine's `qm_engine.fields`.

The truth lives in the engine; this module only adds the serving view (which stages each served
model's stream carries), so a field the engine stops producing fails validation here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from qm_engine.fields import BIN_NAMES, PARAM_DEFAULTS, FieldSpec, produced_fields
from qm_specs.enums import Stage

# Which stages a served model's stream carries. A silver-only stream cannot serve gold columns.
MODEL_STAGES: Mapping[str, tuple[Stage, ...]] = MappingProxyType(
    {"vacuum_pressure": ("silver", "gold"), "silver_grid": ("silver",)}
)

PRODUCED_FIELDS: Mapping[str, FieldSpec] = MappingProxyType(produced_fields())
"""Every per-row grid column the engine produces, keyed by name."""

BIN_METADATA_FIELDS: frozenset[str] = frozenset(BIN_NAMES)
"""Per-bin values that travel in the grid_update header, never as grid columns."""

ENGINE_PARAM_DEFAULTS: Mapping[str, Any] = MappingProxyType(dict(PARAM_DEFAULTS))
"""Engine parameter name -> default, JSON form (sequences as lists)."""


def fields_of_stage(stage: Stage) -> tuple[str, ...]:
    """Names of the produced fields of one stage, in manifest order."""
    return tuple(f.name for f in PRODUCED_FIELDS.values() if f.stage == stage)
