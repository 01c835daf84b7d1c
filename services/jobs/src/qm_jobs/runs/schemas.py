"""Run result API models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunRead(BaseModel):
    """One run spec's outcome."""

    model_config = ConfigDict(from_attributes=True)

    job_id: uuid.UUID
    run_id: str
    run_index: int
    dataset_id: str
    signal: str
    params: dict[str, Any] = Field(validation_alias="params_json")
    tp_ticks: int
    sl_ticks: int
    cooldown_bins: int
    status: str
    metrics: dict[str, Any] = Field(validation_alias="metrics_json")
    error: str | None
    duration_s: float | None
    started_at: datetime
    finished_at: datetime | None


class RunPage(BaseModel):
    """One page of runs."""

    items: list[RunRead]
    total: int
    limit: int
    offset: int
