"""Visualization block of a ServingSpec: display mode, cell shader and overlays."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from qm_specs.base import StrictModel
from qm_specs.enums import ColorScheme, DisplayMode, Normalization, OverlayType

_EMA_PARAMS = ("periods", "weights", "sma_periods", "signal_tanh_scale")


class CellShader(StrictModel):
    """How each heatmap cell is coloured: which fields drive hue and depth."""

    signal_field: str = Field(default="flow_score", min_length=1)
    depth_field: str = Field(default="rest_depth", min_length=1)
    color_scheme: ColorScheme = "pressure_vacuum"
    normalization: Normalization = "adaptive_running_max"
    gamma: float = Field(default=0.7, gt=0, le=5)


class Overlay(StrictModel):
    """One drawn layer over the grid."""

    id: str = Field(min_length=1)
    type: OverlayType
    label: str = ""
    enabled: bool = True
    z_order: int
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _required_params(self) -> Overlay:
        if self.type == "projection_bands" and "signal_field" not in self.params:
            raise ValueError("a projection_bands overlay needs params.signal_field")
        missing = [p for p in _EMA_PARAMS if p not in self.params]
        if self.type == "ema_lines" and self.enabled and missing:
            raise ValueError(f"an enabled ema_lines overlay needs params {', '.join(missing)}")
        return self


def _default_overlays() -> list[Overlay]:
    return [
        Overlay(id="vp_gold", type="vp_gold", label="Pressure / vacuum", z_order=0),
        Overlay(id="spot_trail", type="spot_trail", label="Spot", z_order=10),
        Overlay(id="bbo_spread", type="bbo_spread", label="Spread", z_order=15),
        Overlay(id="bbo_trail", type="bbo_trail", label="BBO", z_order=20),
        Overlay(
            id="projection_bands",
            type="projection_bands",
            label="Projection",
            z_order=30,
            params={"signal_field": "flow_score", "composite_scale": 8.0},
        ),
    ]


class VisualizationConfig(StrictModel):
    """Display mode, cell shader (required for heatmaps) and overlays with unique ids and z."""

    display_mode: DisplayMode = "heatmap"
    cell_shader: CellShader | None = Field(default_factory=CellShader)
    overlays: list[Overlay] = Field(default_factory=_default_overlays)

    @model_validator(mode="after")
    def _consistent(self) -> VisualizationConfig:
        if self.display_mode == "heatmap" and self.cell_shader is None:
            raise ValueError("display_mode heatmap needs a cell_shader")
        ids = [o.id for o in self.overlays]
        if len(set(ids)) != len(ids):
            raise ValueError("overlay ids must be unique")
        z_orders = [o.z_order for o in self.overlays]
        if len(set(z_orders)) != len(z_orders):
            raise ValueError("overlay z_order values must be unique")
        return self
