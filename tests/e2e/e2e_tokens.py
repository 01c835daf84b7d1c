"""Forge good and bad JWTs for the gateway matrix (signing key given as a JWK with a kid)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, JWKRegistry, RSAKey

ISSUER = "qmachina-dev"
AUDIENCE = "qmachina"
SigningKey = RSAKey | ECKey


def load_key(jwk: dict[str, Any]) -> SigningKey:
    """The private signing key of a JWK (RSA or EC)."""
    key = JWKRegistry.import_key(jwk)
    assert isinstance(key, RSAKey | ECKey)
    return key


def alg_of(key: SigningKey) -> str:
    """RS256 for RSA keys, ES256 for EC keys."""
    return "RS256" if isinstance(key, RSAKey) else "ES256"


def claims(sub: str = "alice", **overrides: Any) -> dict[str, Any]:
    """Claims of a valid token for `sub` that expires in 10 minutes."""
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600}
    base.update(email=f"{sub}@example.com", name=sub.title())
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def sign(key: SigningKey, payload: dict[str, Any]) -> str:
    """A token over `payload` signed by `key` with the key's own algorithm and kid."""
    return jwt.encode({"alg": alg_of(key), "kid": key.kid, "typ": "JWT"}, payload, key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(payload).encode())


def alg_none(key: SigningKey, payload: dict[str, Any]) -> str:
    """An unsigned token claiming `alg: none` with the real kid."""
    return _segments({"alg": "none", "kid": key.kid, "typ": "JWT"}, payload) + "."


def hs256_with_public_key(key: SigningKey, payload: dict[str, Any]) -> str:
    """The algorithm-confusion attack: HMAC-SHA256 keyed with the public key's PEM."""
    signing_input = _segments({"alg": "HS256", "kid": key.kid, "typ": "JWT"}, payload)
    secret = key.as_pem(private=False)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(mac)


def other_key_same_kid(key: SigningKey) -> SigningKey:
    """A fresh key of the same type that claims the real key's kid (wrong signature)."""
    if isinstance(key, RSAKey):
        return RSAKey.generate_key(2048, parameters={"kid": key.kid})
    return ECKey.generate_key("P-256", parameters={"kid": key.kid})


def bad_tokens(key: SigningKey) -> dict[str, str | None]:
    """Every token the gateway must refuse with 401 (None: no Authorization header)."""
    now = int(time.time())
    return {
        "missing": None,
        "expired": sign(key, claims(iat=now - 7200, exp=now - 3600)),
        "no_exp": sign(key, claims(exp=None)),
        "wrong_signature": sign(other_key_same_kid(key), claims()),
        "alg_none": alg_none(key, claims()),
        "hs256_public_key": hs256_with_public_key(key, claims()),
        "wrong_aud": sign(key, claims(aud="someone-else")),
        "wrong_iss": sign(key, claims(iss="https://evil.example.com")),
        "garbage": "not-a-jwt",
        "garbage_segments": "eyJhbGciOi.eyJzdWIi.c2ln",
    }


def auth(token: str | None) -> dict[str, str]:
    """The Authorization header for `token` (empty for None)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}
