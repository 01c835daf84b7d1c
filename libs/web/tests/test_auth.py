"""JWT verification: the attack matrix, algorithm pinning, and JWKS refetch with a cooldown."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, hmac
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from qm_core.errors import Unauthorized
from qm_web.auth import JwksCache, JwtVerifier

ISS, AUD = "https://issuer.example", "qmachina"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    return {"iss": ISS, "aud": AUD, "sub": "alice", "exp": now + 300, "iat": now, **over}


def _sign(key: ECKey | RSAKey, alg: str = "ES256", **over: object) -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, _claims(**over), key)


@pytest.fixture
def key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "k1"})


@pytest.fixture
def verifier(key: ECKey) -> JwtVerifier:
    jwks = JwksCache(static={"keys": [key.as_dict(private=False)]})
    return JwtVerifier(jwks, issuer=ISS, audience=AUD)


async def test_valid_token_yields_principal(verifier, key):
    principal = await verifier.verify(_sign(key, email="a@x.io"))
    assert (principal.sub, principal.email) == ("alice", "a@x.io")


async def test_rs256_is_accepted_too() -> None:
    rsa = RSAKey.generate_key(2048, parameters={"kid": "r1"})
    v = JwtVerifier(
        JwksCache(static={"keys": [rsa.as_dict(private=False)]}), issuer=ISS, audience=AUD
    )
    assert (await v.verify(_sign(rsa, "RS256"))).sub == "alice"


def _none_token() -> str:
    header = _b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
    return f"{header}.{_b64(json.dumps(_claims()).encode())}."


def _hs256_confusion(key: ECKey) -> str:
    header = _b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    body = _b64(json.dumps(_claims()).encode())
    secret = json.dumps(key.as_dict(private=False)).encode()
    mac = hmac.HMAC(secret, hashes.SHA256())
    mac.update(f"{header}.{body}".encode())
    return f"{header}.{body}.{_b64(mac.finalize())}"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda k: _sign(k, exp=int(time.time()) - 3600), id="expired"),
        pytest.param(
            lambda k: _sign(ECKey.generate_key("P-256", parameters={"kid": "k1"})),
            id="wrong-signature",
        ),
        pytest.param(lambda k: _none_token(), id="alg-none"),
        pytest.param(_hs256_confusion, id="hs256-confusion"),
        pytest.param(lambda k: _sign(k, aud="other"), id="wrong-aud"),
        pytest.param(lambda k: _sign(k, iss="https://evil.example"), id="wrong-iss"),
        pytest.param(
            lambda k: jwt.encode(
                {"alg": "ES256", "kid": "k1"}, {"iss": ISS, "aud": AUD, "sub": "a"}, k
            ),
            id="no-exp",
        ),
        pytest.param(lambda k: "garbage", id="garbage"),
        pytest.param(lambda k: "a.b.c", id="garbage-segments"),
    ],
)
async def test_bad_tokens_are_unauthorized(verifier, key, make):
    with pytest.raises(Unauthorized):
        await verifier.verify(make(key))


async def test_unknown_kid_refetches_jwks_once_per_cooldown(key):
    rotated = ECKey.generate_key("P-256", parameters={"kid": "k2"})
    served = {"keys": [key.as_dict(private=False)]}
    calls: list[int] = []

    def handler(_request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=served)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    cache = JwksCache("http://idp/jwks", cooldown_s=3600, client=client)
    v = JwtVerifier(cache, issuer=ISS, audience=AUD)
    assert (await v.verify(_sign(key))).sub == "alice"
    assert len(calls) == 1
    served = {"keys": [key.as_dict(private=False), rotated.as_dict(private=False)]}
    with pytest.raises(Unauthorized):  # within the cooldown: no refetch, kid unknown
        await v.verify(_sign(rotated))
    assert len(calls) == 1
    cache._last_fetch -= 3601  # the cooldown has passed
    assert (await v.verify(_sign(rotated))).sub == "alice"
    assert len(calls) == 2
    await client.aclose()
