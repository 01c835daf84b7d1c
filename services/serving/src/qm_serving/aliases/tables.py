"""serving_alias (one current version per alias) and serving_activation (append-only history)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, String, Text
from sqlmodel import Field

from qm_serving.db import ServingTable


class ServingAlias(ServingTable, table=True):
    """A named pointer at one version; `revision` grows by one per move."""

    __tablename__ = "serving_alias"

    workspace_id: uuid.UUID = Field(primary_key=True)
    alias: str = Field(sa_column=Column(String(64), primary_key=True))
    serving_id: str = Field(sa_column=Column(String(64), nullable=False))
    revision: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_by: str = Field(sa_column=Column(String(200), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ServingActivation(ServingTable, table=True):
    """One alias move (activate, rollback or promote); rows are never updated or deleted."""

    __tablename__ = "serving_activation"
    __table_args__ = (
        Index(
            "ux_serving_activation_alias_revision", "workspace_id", "alias", "revision", unique=True
        ),
    )

    activation_id: uuid.UUID = Field(primary_key=True)
    workspace_id: uuid.UUID = Field(nullable=False)
    alias: str = Field(sa_column=Column(String(64), nullable=False))
    revision: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    from_version: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    to_version: str = Field(sa_column=Column(String(64), nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    request_id: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
