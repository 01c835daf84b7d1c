"""The per-workspace, hash-chained audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from qm_tenancy.db import TenancyTable


class AuditEvent(TenancyTable, table=True):
    """One audited mutation; `hash` covers the row and `prev_hash` links it to the one before."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("workspace_id", "seq"),)

    event_id: uuid.UUID = Field(primary_key=True)
    workspace_id: uuid.UUID = Field(index=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    actor_id: str = Field(sa_column=Column(String(200), nullable=False))
    action: str = Field(sa_column=Column(String(200), nullable=False))
    target: str = Field(sa_column=Column(String(500), nullable=False))
    payload_json: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))
