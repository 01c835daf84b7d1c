"""Audit API models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEventRead(BaseModel):
    """One audit chain entry."""

    event_id: uuid.UUID
    workspace_id: uuid.UUID
    seq: int
    source: str
    actor_id: str
    action: str
    target: str
    payload_json: dict[str, Any]
    created_at: datetime
    prev_hash: str
    hash: str


class BrokenLink(BaseModel):
    """Where the chain first fails to verify."""

    seq: int
    event_id: uuid.UUID
    reason: str


class ChainVerdict(BaseModel):
    """Result of recomputing a workspace's chain."""

    workspace_id: uuid.UUID
    ok: bool
    count: int
    head_hash: str
    first_broken: BrokenLink | None = None
