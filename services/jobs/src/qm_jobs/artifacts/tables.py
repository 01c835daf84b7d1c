"""Files a job produced, each with its SHA-256 checksum and size."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, String, UniqueConstraint
from sqlmodel import Field

from qm_jobs.db import JobsTable


class JobArtifact(JobsTable, table=True):
    """One artifact; `uri` is relative to the artifacts root (never a host path)."""

    __tablename__ = "job_artifact"
    __table_args__ = (UniqueConstraint("job_id", "name"),)

    artifact_id: uuid.UUID = Field(primary_key=True)
    job_id: uuid.UUID = Field(index=True)
    workspace_id: uuid.UUID = Field(index=True)
    artifact_type: str = Field(sa_column=Column(String(32), nullable=False))
    name: str = Field(sa_column=Column(String(300), nullable=False))
    uri: str = Field(sa_column=Column(String(1000), nullable=False))
    checksum: str = Field(sa_column=Column(String(64), nullable=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
