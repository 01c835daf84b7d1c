"""JWT verification: algorithm pinned, iss/aud/exp checked, JWKS cached with kid-miss refetch."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from qm_core.errors import Unauthorized, Unavailable

ALLOWED_ALGORITHMS = ("RS256", "ES256")


@dataclass(frozen=True)
class Principal:
    """The verified caller."""

    sub: str
    email: str | None = None
    name: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    token: str = ""


class JwksCache:
    """JWKS from a URL (or static): refetched on an unknown `kid`, at most once per cooldown."""

    def __init__(
        self,
        url: str | None = None,
        *,
        static: dict[str, Any] | None = None,
        cooldown_s: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self._keys = KeySet.import_key_set(static) if static else None  # type: ignore[arg-type]
        self._cooldown_s = cooldown_s
        self._last_fetch = float("-inf")
        self._client = client
        self._lock = asyncio.Lock()

    def _has(self, kid: str | None) -> bool:
        return self._keys is not None and any(k.kid == kid for k in self._keys.keys)

    async def key_set(self, kid: str | None) -> KeySet:
        """The key set, refreshed first if `kid` is unknown and the cooldown has passed."""
        if not self._has(kid) and self._url is not None:
            async with self._lock:
                if not self._has(kid) and time.monotonic() - self._last_fetch >= self._cooldown_s:
                    await self._fetch()
        if self._keys is None:
            raise Unavailable("signing keys are not available yet")
        return self._keys

    async def _fetch(self) -> None:
        self._last_fetch = time.monotonic()
        assert self._url is not None
        try:
            client = self._client or httpx.AsyncClient(timeout=5.0)
            response = await client.get(self._url)
            if self._client is None:
                await client.aclose()
            response.raise_for_status()
            self._keys = KeySet.import_key_set(response.json())
        except (httpx.HTTPError, ValueError, JoseError) as exc:
            if self._keys is None:
                raise Unavailable(f"cannot fetch JWKS: {exc}") from exc


class JwtVerifier:
    """Verify bearer tokens against one issuer and audience."""

    def __init__(self, jwks: JwksCache, *, issuer: str, audience: str, leeway_s: int = 30) -> None:
        self._jwks = jwks
        self._claims = jwt.JWTClaimsRegistry(
            leeway=leeway_s,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; Unauthorized (no detail leak) otherwise."""
        try:
            header = extract_compact(token.encode()).headers()
        except (JoseError, ValueError, UnicodeError) as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise Unauthorized("token algorithm not allowed")
        keys = await self._jwks.key_set(header.get("kid"))
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALLOWED_ALGORITHMS))
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"invalid token: {exc.__class__.__name__}") from exc
        claims = decoded.claims
        return Principal(
            sub=str(claims["sub"]),
            email=claims.get("email"),
            name=claims.get("name"),
            claims=dict(claims),
            token=token,
        )
