"""Workspace and member API models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RoleName = Literal["owner", "admin", "editor", "viewer"]


class WorkspaceCreate(BaseModel):
    """Create a workspace; the caller becomes its owner."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


class WorkspaceRead(BaseModel):
    """A workspace, with the caller's role in it."""

    workspace_id: uuid.UUID
    slug: str
    name: str
    created_by: str
    created_at: datetime
    role: RoleName | None = None


class MemberUpsert(BaseModel):
    """Add a member, or change an existing member's role."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200, pattern=r"^[^\s]+$")
    role: RoleName
    email: str | None = Field(default=None, max_length=320)


class MemberRead(BaseModel):
    """A membership."""

    workspace_id: uuid.UUID
    user_id: str
    role: RoleName
    email: str | None
    created_at: datetime
    updated_at: datetime
