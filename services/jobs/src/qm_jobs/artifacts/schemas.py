"""Artifact API models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ArtifactRead(BaseModel):
    """One file of a job; `checksum` is the SHA-256 (hex) of its bytes."""

    model_config = ConfigDict(from_attributes=True)

    artifact_id: uuid.UUID
    job_id: uuid.UUID
    artifact_type: str
    name: str
    checksum: str
    size: int
    created_at: datetime
