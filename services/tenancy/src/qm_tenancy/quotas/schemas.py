"""Quota API models: every limit bounded, so a negative or absurd value is a 422."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class QuotaSet(BaseModel):
    """New limits for a workspace."""

    model_config = ConfigDict(extra="forbid")

    max_jobs: int = Field(ge=0, le=1_000, description="concurrent experiment jobs")
    max_streams: int = Field(ge=0, le=10_000, description="concurrent live streams")
    max_storage_gb: int = Field(ge=0, le=1_000_000, description="lake storage in GB")


class QuotaRead(QuotaSet):
    """A workspace's limits; `is_default` when never set explicitly."""

    workspace_id: uuid.UUID
    is_default: bool
    updated_by: str | None = None
    updated_at: datetime | None = None
