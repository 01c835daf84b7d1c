"""Experiment job API models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

DatasetId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]


class JobSubmit(BaseModel):
    """An ExperimentSpec inline (`spec`) or the name of one under configs/ (`spec_ref`)."""

    model_config = ConfigDict(extra="forbid")

    spec: dict[str, Any] | None = Field(default=None, description="an inline ExperimentSpec")
    spec_ref: str | None = Field(
        default=None, min_length=1, max_length=200, description="name of a configs/ experiment"
    )
    datasets: list[DatasetId] = Field(
        min_length=1, max_length=50, description="lake dataset ids to run the sweep on"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> JobSubmit:
        if (self.spec is None) == (self.spec_ref is None):
            raise ValueError("give exactly one of `spec` (inline) or `spec_ref` (by name)")
        return self


class JobRead(BaseModel):
    """A job as clients see it."""

    model_config = ConfigDict(from_attributes=True)

    job_id: uuid.UUID
    workspace_id: uuid.UUID
    submitted_by: str
    spec_ref: str
    spec_name: str
    spec_hash: str
    datasets: list[str]
    status: str
    progress: dict[str, Any] = Field(validation_alias="progress_json")
    error: str | None
    attempt: int
    max_attempts: int
    last_sequence: int
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    heartbeat_at: datetime | None
    cancel_requested_at: datetime | None


class JobPage(BaseModel):
    """One page of jobs, newest first."""

    items: list[JobRead]
    total: int
    limit: int
    offset: int


class JobEventRead(BaseModel):
    """One job event (the SSE `data:`); parses its own JSON back (live frames)."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    job_id: uuid.UUID
    sequence: int
    event_type: str
    payload: dict[str, Any] = Field(validation_alias="payload_json")
    created_at: datetime
