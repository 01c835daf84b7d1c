"""Internal promotion API models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from qm_serving.aliases.schemas import ALIAS_PATTERN
from qm_serving.versions.schemas import VersionRegister


class PromotionRequest(BaseModel):
    """Promote a completed modeling session: register its version and optionally move an alias."""

    model_config = ConfigDict(extra="forbid")

    version: VersionRegister
    actor_id: str = Field(min_length=1, max_length=200)
    alias: str | None = Field(default=None, pattern=ALIAS_PATTERN)
    reason: str = Field(default="promoted from a completed modeling session", max_length=2000)


class PromotionRead(BaseModel):
    """The outcome of a promotion (identical for every retry with the same idempotency key)."""

    idempotency_key: str
    serving_id: str
    alias: str | None
    replayed: bool
