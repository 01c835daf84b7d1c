"""Dev token API models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DevTokenRequest(BaseModel):
    """Who the dev token is for."""

    model_config = ConfigDict(extra="forbid")

    sub: str = Field(min_length=1, max_length=200, pattern=r"^[^\s]+$")
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)


class TokenResponse(BaseModel):
    """An OAuth2-style bearer token response."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth2 scheme name, not a secret
    expires_in: int
