"""Stream token API models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

SELECTOR_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class StreamTokenRequest(BaseModel):
    """Ask for a short-lived token to open `WS /v1/stream?serving=<selector>&token=...`."""

    model_config = ConfigDict(extra="forbid")

    serving: str = Field(pattern=SELECTOR_PATTERN)


class StreamTokenRead(BaseModel):
    """A stream token and the URL (path and query) to open with it."""

    token: str
    expires_at: datetime
    url: str
