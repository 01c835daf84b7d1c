"""Workspace and membership tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, String
from sqlmodel import Field

from qm_tenancy.db import TenancyTable


class Workspace(TenancyTable, table=True):
    """A tenant."""

    __tablename__ = "workspace"

    workspace_id: uuid.UUID = Field(primary_key=True)
    slug: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class WorkspaceMember(TenancyTable, table=True):
    """A user's role in a workspace."""

    __tablename__ = "workspace_member"

    workspace_id: uuid.UUID = Field(primary_key=True)
    user_id: str = Field(sa_column=Column(String(200), primary_key=True))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    email: str | None = Field(default=None, sa_column=Column(String(320), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
