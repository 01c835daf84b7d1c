"""Live session, per-instrument checkpoint and contract roll tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, String, Text
from sqlmodel import Field

from qm_ingestion.db import IngestionTable

ACTIVE = ("starting", "running", "stopping")
TERMINAL = ("stopped", "failed")


class LiveSession(IngestionTable, table=True):
    """One live session; `checkpoint` mirrors the newest checkpoint, `lease_*` the worker."""

    __tablename__ = "ingestion_live_session"
    __table_args__ = (Index("ix_live_session_ws_status", "workspace_id", "status"),)

    session_id: uuid.UUID = Field(primary_key=True)
    workspace_id: uuid.UUID = Field(index=False)
    symbol: str = Field(sa_column=Column(String(32), nullable=False))
    dataset: str = Field(sa_column=Column(String(32), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    stopped_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    checkpoint: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    counters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    config_json: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    lease_owner: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Checkpoint(IngestionTable, table=True):
    """Delivered-up-to cursor of one instrument of a session (sequence_id = records delivered)."""

    __tablename__ = "ingestion_checkpoint"

    session_id: uuid.UUID = Field(primary_key=True)
    instrument_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    workspace_id: uuid.UUID
    sequence_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    ts_event_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    ordinal: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ContractRoll(IngestionTable, table=True):
    """A continuous symbol moved to another contract during a session."""

    __tablename__ = "contract_roll_event"

    roll_id: uuid.UUID = Field(primary_key=True)
    session_id: uuid.UUID = Field(index=True)
    workspace_id: uuid.UUID
    from_contract: str = Field(sa_column=Column(String(32), nullable=False))
    to_contract: str = Field(sa_column=Column(String(32), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
