"""serving_version: insert-only (a trigger refuses UPDATE/DELETE), spec kept as canonical JSON."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, String, Text
from sqlmodel import Field

from qm_serving.db import ServingTable


class ServingVersion(ServingTable, table=True):
    """One published serving spec of a workspace; the row is never updated."""

    __tablename__ = "serving_version"

    workspace_id: uuid.UUID = Field(primary_key=True)
    serving_id: str = Field(sa_column=Column(String(64), primary_key=True))
    name: str = Field(sa_column=Column(String(64), nullable=False))
    model_id: str = Field(sa_column=Column(String(32), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    # The canonical JSON bytes of the PublishedServingSpec, exactly what spec_sha256 covers.
    spec_json: str = Field(sa_column=Column(Text, nullable=False))
    spec_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    snapshot_hash: str = Field(sa_column=Column(String(64), nullable=False))
    config_hash: str = Field(sa_column=Column(String(64), nullable=False))
    source_run_id: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    experiment_name: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    dataset_id: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    engine_version: str = Field(sa_column=Column(String(64), nullable=False))
    gold_dsl_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    gold_dsl_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
