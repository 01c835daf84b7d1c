"""Closed vocabularies of the specs (Literal types, so strict validation accepts YAML strings)."""

from __future__ import annotations

from typing import Literal, get_args

Stage = Literal["silver", "gold"]
StreamFieldRole = Literal[
    "grid_index", "force", "velocity", "acceleration", "jerk", "signal", "indicator", "metadata"
]
StreamDtype = Literal["int8", "int32", "int64", "float64"]
DisplayMode = Literal["heatmap", "candle"]
ColorScheme = Literal["pressure_vacuum", "thermal", "mono_green", "mono_red"]
Normalization = Literal["adaptive_running_max", "zscore_clamp", "identity_clamp"]
ProductType = Literal["future_mbo", "equity_mbo"]
OverlayType = Literal[
    "vp_gold", "spot_trail", "bbo_spread", "bbo_trail", "projection_bands", "ema_lines"
]

STREAM_ROLES: tuple[str, ...] = get_args(StreamFieldRole)
STREAM_DTYPES: tuple[str, ...] = get_args(StreamDtype)
