"""Request and response bodies of live sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SYMBOL = r"^[A-Z0-9]{1,8}(\.[cnv]\.\d{1,2}|[A-Z0-9]{0,12})$"


class LiveSessionCreate(BaseModel):
    """A live session: one symbol (raw or continuous like ES.c.0) of one dataset, MBO."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    symbol: str = Field(pattern=SYMBOL, description="raw (ESZ6) or continuous (ES.c.0) symbol")
    dataset: str = Field(default="GLBX.MDP3", pattern=r"^[A-Z0-9]{2,8}\.[A-Z0-9]{2,8}$")
    record_schema: Literal["mbo"] = Field(default="mbo", alias="schema")
    roll_policy: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,64}$")
    snapshot: bool = False
    start_ns: int | None = Field(default=None, ge=0, description="intraday replay start")
    heartbeat_interval_s: int = Field(default=30, ge=1, le=1800)


class LiveSessionRead(BaseModel):
    """A session's state, checkpoint and counters."""

    session_id: uuid.UUID
    workspace_id: uuid.UUID
    symbol: str
    dataset: str
    status: str
    reason: str | None
    started_at: datetime
    stopped_at: datetime | None
    checkpoint: dict[str, Any]
    counters: dict[str, Any]
    config: dict[str, Any] = Field(validation_alias="config_json")
    stream_key: str = ""
