"""Diff API models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DiffRequest(BaseModel):
    """Two selectors (alias or serving id) of the same workspace."""

    model_config = ConfigDict(extra="forbid")

    a: str = Field(min_length=1, max_length=64)
    b: str = Field(min_length=1, max_length=64)


class DiffEntry(BaseModel):
    """One difference: a JSON path and the value before and/or after."""

    path: str
    before: Any = None
    after: Any = None


class DiffRead(BaseModel):
    """A deep diff of two runtime snapshots (and their lineage)."""

    a: str
    b: str
    added: list[DiffEntry]
    removed: list[DiffEntry]
    changed: list[DiffEntry]
    unchanged_count: int
    summary: str
