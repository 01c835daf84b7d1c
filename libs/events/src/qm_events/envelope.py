"""The CloudEvents-shaped envelope and the base class of every domain event payload."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from qm_core.clock import utcnow


class DomainEvent(BaseModel):
    """A domain event payload; its type is `<source service>.<name>.v<version>`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def type_for(cls, source: str) -> str:
        """The envelope type of this event when emitted by `source`."""
        return f"{source}.{cls.name}.v{cls.version}"


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus the platform's workspace and causality ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: str = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    source: str
    time: datetime = Field(default_factory=utcnow)
    subject: str | None = None
    workspace_id: uuid.UUID | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any]

    def to_fields(self) -> dict[str, str]:
        """Flat string fields for a Redis Stream entry."""
        return {"envelope": self.model_dump_json()}

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes] | dict[str, str]) -> Envelope:
        """Parse a Redis Stream entry written by `to_fields`."""
        raw = fields.get(b"envelope") or fields.get("envelope")  # type: ignore[call-overload]
        if raw is None:
            raise ValueError("stream entry has no envelope field")
        return cls.model_validate_json(raw)


def stream_key(source: str, namespace: str = "") -> str:
    """The Redis Stream a service's relay publishes to (`<namespace><service>:events`)."""
    return f"{namespace}{source}:events"
