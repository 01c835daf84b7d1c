"""Feature flag API models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

FlagName = Literal[
    "ff_live_ingestion",
    "ff_model_control_plane",
    "ff_experiment_jobs",
    "ff_guided_assistant",
    "ff_gold_dsl",
    "ff_monitoring_ops",
]


class FlagsUpdate(BaseModel):
    """Per-workspace overrides: true/false sets the workspace's value, null reverts to default."""

    model_config = ConfigDict(extra="forbid")

    flags: dict[FlagName, bool | None]


class FlagState(BaseModel):
    """A flag's effective value and where it came from."""

    enabled: bool
    source: Literal["environment", "workspace"]
