"""Dev issuer routes; mounted only when QM_DEV_AUTH=1."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from qm_tenancy.auth.schemas import DevTokenRequest, TokenResponse

router = APIRouter(tags=["auth"])
PUBLIC_PATHS = ("/v1/auth/dev/token", "/.well-known/jwks.json")


@router.post("/v1/auth/dev/token")
async def issue_dev_token(body: DevTokenRequest, request: Request) -> TokenResponse:
    """A signed token for any subject (development only)."""
    issuer = request.app.state.dev_issuer
    token = issuer.issue(sub=body.sub, email=body.email, name=body.name)
    return TokenResponse(access_token=token, expires_in=issuer.ttl_s)


@router.get("/.well-known/jwks.json")
async def read_jwks(request: Request) -> dict[str, Any]:
    """The dev issuer's public keys."""
    jwks: dict[str, Any] = request.app.state.dev_issuer.jwks()
    return jwks
