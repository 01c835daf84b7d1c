"""A test identity provider: ES256 tokens an app under test is told to trust."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey

from qm_web.auth import JwksCache, JwtVerifier

ISSUER = "qmachina-test"
AUDIENCE = "qmachina"


class TestIssuer:
    """Signs tokens for tests; `trust(app)` makes an app verify them."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.key = ECKey.generate_key("P-256", parameters={"kid": uuid.uuid4().hex})

    def token(self, sub: str, *, ttl_s: int = 600, **claims: Any) -> str:
        """A valid access token for `sub` (extra claims override the defaults)."""
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + ttl_s}
        return jwt.encode({"alg": "ES256", "kid": self.key.kid}, {**body, **claims}, self.key)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def trust(self, app: FastAPI) -> None:
        """Replace the app's verifier with one that trusts this issuer only."""
        app.state.verifier = JwtVerifier(
            JwksCache(static=self.jwks()), issuer=ISSUER, audience=AUDIENCE
        )

    def as_principal(
        self, sub: str, *, workspace_id: uuid.UUID | str | None = None, **claims: Any
    ) -> dict[str, str]:
        """Request headers acting as `sub` (and, when given, in `workspace_id`)."""
        headers = {"Authorization": f"Bearer {self.token(sub, **claims)}"}
        if workspace_id is not None:
            headers["X-Workspace-Id"] = str(workspace_id)
        return headers
