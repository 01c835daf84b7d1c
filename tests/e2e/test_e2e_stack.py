"""The real stack through the running gateway: auth matrix, identity, tenancy flows, audit chain."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_tokens import SigningKey, auth, bad_tokens, claims, load_key, sign

from qm_devstack.seed import seed_demo
from qm_devstack.stack import Stack

pytestmark = pytest.mark.e2e
AUDIT_TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=15.0) as http:
        yield http


def dev_token(client: httpx.Client, sub: str) -> str:
    identity = {"sub": sub, "email": f"{sub}@example.com", "name": sub.title()}
    reply = client.post("/v1/auth/dev/token", json=identity)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    return str(body["access_token"])


@pytest.fixture(scope="module")
def dev_key(stack: Stack, client: httpx.Client) -> SigningKey:
    dev_token(client, "key-reader")  # tenancy has written its key by the time it signs
    return load_key(json.loads(stack.dev_key_path.read_text()))


def user(client: httpx.Client, prefix: str) -> tuple[str, dict[str, str]]:
    sub = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return sub, auth(dev_token(client, sub))


def new_workspace(
    client: httpx.Client, headers: dict[str, str], extra: dict[str, str] | None = None
) -> str:
    slug = f"ws-{uuid.uuid4().hex[:10]}"
    reply = client.post(
        "/v1/workspaces",
        json={"name": slug.upper(), "slug": slug},
        headers={**headers, **(extra or {})},
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["workspace_id"])


def wait_for_audit(client: httpx.Client, headers: dict[str, str], ws: str, count: int) -> list[Any]:
    deadline = time.monotonic() + AUDIT_TIMEOUT_S
    while True:
        reply = client.get("/v1/audit", params={"workspace_id": ws}, headers=headers)
        assert reply.status_code == 200, reply.text
        rows: list[Any] = reply.json()
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


def test_a_dev_token_from_the_gateway_is_accepted_by_tenancy(client: httpx.Client) -> None:
    _, headers = user(client, "alice")
    reply = client.get("/v1/workspaces", headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.json() == []


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "expired",
        "no_exp",
        "wrong_signature",
        "alg_none",
        "hs256_public_key",
        "wrong_aud",
        "wrong_iss",
        "garbage",
        "garbage_segments",
    ],
)
def test_bad_tokens_get_401_from_the_gateway(
    client: httpx.Client, dev_key: SigningKey, case: str
) -> None:
    reply = client.get("/v1/workspaces", headers=auth(bad_tokens(dev_key)[case]))
    assert reply.status_code == 401, reply.text


def test_a_token_forged_with_the_real_dev_key_is_accepted(
    client: httpx.Client, dev_key: SigningKey
) -> None:
    # Proves the 401s above come from the claims and signatures, not from a broken key setup.
    reply = client.get("/v1/workspaces", headers=auth(sign(dev_key, claims("forger"))))
    assert reply.status_code == 200, reply.text


def test_a_spoofed_identity_header_is_ignored(client: httpx.Client) -> None:
    alice, alice_headers = user(client, "alice")
    mallory, mallory_headers = user(client, "mallory")
    spoof = {"X-User": mallory, "X-User-Id": mallory, "X-Principal": mallory}
    ws = new_workspace(client, alice_headers, spoof)
    assert client.get(f"/v1/workspaces/{ws}", headers=mallory_headers).status_code == 404
    read = client.get(f"/v1/workspaces/{ws}", headers={**alice_headers, **spoof})
    assert read.status_code == 200
    assert read.json()["created_by"] == alice
    assert read.json()["role"] == "owner"


def test_unknown_routes_are_404(client: httpx.Client) -> None:
    _, headers = user(client, "alice")
    assert client.get("/v1/no-such-thing", headers=headers).status_code == 404
    assert client.get("/internal/v1/anything", headers=headers).status_code == 404
    assert client.get("/nope").status_code == 404


def test_owner_creates_a_workspace_adds_a_member_and_reads_a_verified_audit_chain(
    client: httpx.Client,
) -> None:
    owner, headers = user(client, "owner")
    bob, _ = user(client, "bob")
    ws = new_workspace(client, headers)
    added = client.post(
        f"/v1/workspaces/{ws}/members", json={"user_id": bob, "role": "editor"}, headers=headers
    )
    assert added.status_code == 201, added.text
    members = client.get(f"/v1/workspaces/{ws}/members", headers=headers).json()
    assert {(m["user_id"], m["role"]) for m in members} >= {(owner, "owner"), (bob, "editor")}
    rows = wait_for_audit(client, headers, ws, 2)
    assert len(rows) >= 2, rows
    assert all(row["workspace_id"] == ws for row in rows)
    assert {row["actor_id"] for row in rows} == {owner}
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    verdict = client.get("/v1/audit/verify", params={"workspace_id": ws}, headers=headers)
    assert verdict.status_code == 200, verdict.text
    assert verdict.json()["ok"] is True
    assert verdict.json()["count"] == len(rows)


def test_a_user_of_workspace_a_cannot_see_workspace_b(client: httpx.Client) -> None:
    _, a_headers = user(client, "usera")
    _, b_headers = user(client, "userb")
    new_workspace(client, a_headers)
    ws_b = new_workspace(client, b_headers)
    assert client.get(f"/v1/workspaces/{ws_b}", headers=a_headers).status_code == 404
    assert client.get(f"/v1/workspaces/{ws_b}/members", headers=a_headers).status_code == 404
    scoped = {**a_headers, "X-Workspace-Id": ws_b}
    assert (
        client.get("/v1/audit", params={"workspace_id": ws_b}, headers=a_headers).status_code == 404
    )
    assert client.get("/v1/audit", headers=scoped).status_code == 404


def test_a_workspace_scoped_route_without_a_workspace_id_is_400(client: httpx.Client) -> None:
    _, headers = user(client, "alice")
    new_workspace(client, headers)
    reply = client.get("/v1/audit", headers=headers)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]
    assert reply.json()["request_id"] == reply.headers["x-request-id"]


def test_seeding_the_demo_workspace_twice_creates_it_once(
    stack: Stack, client: httpx.Client
) -> None:
    first = seed_demo(stack.gateway_url)
    second = seed_demo(stack.gateway_url)
    assert first["workspace_id"] == second["workspace_id"]
    mine = client.get("/v1/workspaces", headers=auth(dev_token(client, "dev-owner"))).json()
    assert [ws["slug"] for ws in mine].count("demo") == 1
    assert next(ws for ws in mine if ws["slug"] == "demo")["role"] == "owner"
