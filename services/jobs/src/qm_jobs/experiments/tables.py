"""Experiment jobs and their ordered events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from qm_core.ids import WorkspaceId
from qm_jobs.db import JobsTable


class ExperimentJob(JobsTable, table=True):
    """One submitted experiment; `last_sequence` numbers its events (row lock = order)."""

    __tablename__ = "experiment_job"

    job_id: uuid.UUID = Field(primary_key=True)
    workspace_id: uuid.UUID = Field(index=True)
    submitted_by: str = Field(sa_column=Column(String(200), nullable=False))
    spec_ref: str = Field(sa_column=Column(String(300), nullable=False))
    spec_name: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    spec_hash: str = Field(sa_column=Column(String(64), nullable=False))
    # The resolved effective config (serving, pipeline, engine, experiment) at submission.
    spec_json: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    datasets: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    progress_json: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    max_attempts: int = Field(sa_column=Column(Integer, nullable=False))
    last_sequence: int = Field(sa_column=Column(BigInteger, nullable=False))
    worker_id: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    started_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    heartbeat_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    cancel_requested_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    cancel_requested_by: str | None = Field(
        default=None, sa_column=Column(String(200), nullable=True)
    )

    @property
    def workspace(self) -> WorkspaceId:
        """The owning workspace as a typed id."""
        return WorkspaceId(self.workspace_id)


class JobEvent(JobsTable, table=True):
    """One event of a job; (job_id, sequence) is gap-free and is the SSE `id:`."""

    __tablename__ = "job_event"

    job_id: uuid.UUID = Field(primary_key=True)
    sequence: int = Field(sa_column=Column(BigInteger, primary_key=True))
    workspace_id: uuid.UUID = Field(index=True)
    event_type: str = Field(sa_column=Column(String(32), nullable=False))
    payload_json: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
