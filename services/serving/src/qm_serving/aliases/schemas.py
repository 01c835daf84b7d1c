"""Alias and activation API models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AliasName = str
ALIAS_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class Activate(BaseModel):
    """Point an alias at a version; the reason is stored in the history."""

    model_config = ConfigDict(extra="forbid")

    serving_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=2000)
    expected_current: str | None = Field(
        default=None, max_length=64, description="optimistic concurrency: the version you saw"
    )


class Rollback(BaseModel):
    """Repoint an alias to the version before its latest un-rolled-back activation."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000)


class AliasRead(BaseModel):
    """An alias and the version it points at."""

    alias: str
    serving_id: str
    revision: int
    updated_by: str
    updated_at: datetime


class ActivationRead(BaseModel):
    """One alias move."""

    alias: str
    revision: int
    kind: Literal["activate", "rollback", "promote"]
    from_version: str | None
    to_version: str
    actor: str
    reason: str
    request_id: str | None
    created_at: datetime


class AliasDetail(AliasRead):
    """An alias with its history, newest first."""

    history: list[ActivationRead]
