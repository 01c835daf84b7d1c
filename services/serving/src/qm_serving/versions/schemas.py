"""Serving version API models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class LineageIn(BaseModel):
    """Where a registered version comes from (all optional for an explicit register call)."""

    model_config = ConfigDict(extra="forbid")

    experiment_name: str | None = Field(default=None, max_length=64)
    run_id: str | None = Field(default=None, max_length=200)
    dataset_id: str | None = Field(default=None, max_length=200)


class VersionRegister(BaseModel):
    """Register from a ServingSpec and its pipeline (the instrument from configs/ if omitted)."""

    model_config = ConfigDict(extra="forbid")

    serving: dict[str, Any]
    pipeline: dict[str, Any]
    instrument: dict[str, Any] | None = None
    lineage: LineageIn = Field(default_factory=LineageIn)
    description: str = Field(default="", max_length=2000)


class VersionRead(BaseModel):
    """A serving version's identity, hashes and lineage."""

    serving_id: str
    name: str
    model_id: str
    description: str
    spec_sha256: str
    snapshot_hash: str
    config_hash: str
    source_run_id: str | None
    experiment_name: str | None
    dataset_id: str | None
    engine_version: str
    gold_dsl_id: str | None
    gold_dsl_hash: str | None
    created_by: str
    created_at: datetime


class VersionDetail(VersionRead):
    """A version with its full published spec (verified against its hash on this read)."""

    spec: dict[str, Any]


class RegisterResult(VersionRead):
    """The outcome of a registration: `created` is false when identical content already existed."""

    created: bool
