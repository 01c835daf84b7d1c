"""Run records: one row per run spec a job started, with its outcome and metrics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Float, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from qm_jobs.db import JobsTable


class ExperimentRun(JobsTable, table=True):
    """One run spec of a job; `started_at` proves when it began (cancel is checked before)."""

    __tablename__ = "experiment_run"

    job_id: uuid.UUID = Field(primary_key=True)
    run_id: str = Field(sa_column=Column(String(128), primary_key=True))
    workspace_id: uuid.UUID = Field(index=True)
    run_index: int = Field(sa_column=Column(Integer, nullable=False))
    dataset_id: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    signal: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    params_json: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    tp_ticks: int = Field(sa_column=Column(Integer, nullable=False))
    sl_ticks: int = Field(sa_column=Column(Integer, nullable=False))
    cooldown_bins: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    metrics_json: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duration_s: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
