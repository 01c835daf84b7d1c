"""Per-workspace feature flag allowlist entries (overrides of the environment defaults)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, String
from sqlmodel import Field

from qm_tenancy.db import TenancyTable


class FeatureFlag(TenancyTable, table=True):
    """One flag's value for one workspace."""

    __tablename__ = "feature_flag"

    workspace_id: uuid.UUID = Field(primary_key=True)
    flag: str = Field(sa_column=Column(String(64), primary_key=True))
    enabled: bool
    updated_by: str = Field(sa_column=Column(String(200), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
