"""serving_promotion: one row per idempotency key; a repeated promotion is answered, not redone."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, String
from sqlmodel import Field

from qm_serving.db import ServingTable


class ServingPromotion(ServingTable, table=True):
    """The outcome of one promotion request, keyed by the caller's idempotency key."""

    __tablename__ = "serving_promotion"

    workspace_id: uuid.UUID = Field(primary_key=True)
    idempotency_key: str = Field(sa_column=Column(String(200), primary_key=True))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    serving_id: str = Field(sa_column=Column(String(64), nullable=False))
    alias: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
