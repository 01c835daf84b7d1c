"""Workspace quota table."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, String
from sqlmodel import Field

from qm_tenancy.db import TenancyTable


class WorkspaceQuota(TenancyTable, table=True):
    """Limits checked where resources are created (jobs, live streams, storage)."""

    __tablename__ = "workspace_quota"

    workspace_id: uuid.UUID = Field(primary_key=True)
    max_jobs: int
    max_streams: int
    max_storage_gb: int
    updated_by: str = Field(sa_column=Column(String(200), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
