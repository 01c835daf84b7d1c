"""The dev identity provider: a persistent ES256 key, its JWKS, and signed access tokens."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from qm_core.ids import new_uuid


class DevIssuer:
    """Signs tokens for local development; the key persists under var/ across restarts."""

    def __init__(self, key: ECKey, *, issuer: str, audience: str, ttl_s: int) -> None:
        self.key, self.issuer, self.audience, self.ttl_s = key, issuer, audience, ttl_s

    @classmethod
    def from_path(cls, path: str, *, issuer: str, audience: str, ttl_s: int) -> DevIssuer:
        """Load the key at `path`, creating it (mode 0600) on first use."""
        file = Path(path)
        if file.exists():
            key = ECKey.import_key(json.loads(file.read_text()))
        else:
            key = ECKey.generate_key(
                "P-256", parameters={"kid": new_uuid().hex, "alg": "ES256", "use": "sig"}
            )
            file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(key.as_dict(private=True), out)
        return cls(key, issuer=issuer, audience=audience, ttl_s=ttl_s)

    def jwks(self) -> dict[str, Any]:
        """The public key set."""
        return {"keys": [self.key.as_dict(private=False)]}

    def issue(self, *, sub: str, email: str | None, name: str | None) -> str:
        """A signed access token for `sub`."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_s,
            "jti": new_uuid().hex,
        }
        if email:
            claims["email"] = email
        if name:
            claims["name"] = name
        header = {"alg": "ES256", "typ": "JWT", "kid": self.key.kid}
        return jwt.encode(header, claims, self.key)
