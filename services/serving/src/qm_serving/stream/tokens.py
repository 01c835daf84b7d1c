"""Short-lived stream tokens: HMAC-signed (user, workspace, selector, expiry) for browser sockets.

Browsers cannot set headers on a WebSocket; a token minted over an authenticated request rides
in the query string instead. It is bound to one selector and expires within a minute, so a leaked
URL is worth little; membership is still checked again when the socket opens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from qm_core.errors import Unauthorized
from qm_serving.settings import ServingSettings

_PREFIX = "qmst1."


@dataclass(frozen=True)
class StreamGrant:
    """What a valid stream token allows."""

    user_id: str
    workspace_id: uuid.UUID
    selector: str
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class StreamTokens:
    """Mints and checks stream tokens with one secret key."""

    def __init__(self, secret: bytes, ttl_s: int) -> None:
        if len(secret) < 16:
            raise ValueError("stream token secret must be at least 16 bytes")
        self._key = secret
        self.ttl_s = ttl_s

    @classmethod
    def from_settings(cls, settings: ServingSettings) -> StreamTokens:
        """Key from QM_SERVING_STREAM_TOKEN_SECRET, else derived from the service token, else random
        (tokens then only work against the process that minted them)."""
        raw = settings.serving_stream_token_secret or settings.service_token
        secret = (
            hashlib.sha256(b"qm-serving-stream-token:" + raw.encode()).digest()
            if raw
            else secrets.token_bytes(32)
        )
        return cls(secret, settings.serving_stream_token_ttl_s)

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def mint(
        self, *, user_id: str, workspace_id: uuid.UUID, selector: str
    ) -> tuple[str, StreamGrant]:
        """A token for one user, workspace and selector, valid for `ttl_s` seconds."""
        grant = StreamGrant(user_id, workspace_id, selector, time.time() + self.ttl_s)
        claims = {
            "sub": user_id,
            "ws": str(workspace_id),
            "sel": selector,
            "exp": int(grant.expires_at),
            "n": secrets.token_hex(4),
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{_PREFIX}{body}.{self._sign(body)}", grant

    def check(self, token: str, *, selector: str) -> StreamGrant:
        """The grant of a valid, unexpired token for `selector`; Unauthorized otherwise."""
        if not token.startswith(_PREFIX):
            raise Unauthorized("not a stream token")
        body, _, signature = token[len(_PREFIX) :].partition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            raise Unauthorized("stream token signature is invalid")
        try:
            claims = json.loads(_unb64(body))
            grant = StreamGrant(
                str(claims["sub"]),
                uuid.UUID(claims["ws"]),
                str(claims["sel"]),
                float(claims["exp"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise Unauthorized("stream token is malformed") from exc
        if grant.expires_at < time.time():
            raise Unauthorized("stream token has expired")
        if grant.selector != selector:
            raise Unauthorized("stream token was issued for another selector")
        return grant
