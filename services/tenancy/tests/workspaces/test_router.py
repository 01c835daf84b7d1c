"""Workspaces and members over HTTP: status codes, roles, tenant scoping, bad input."""

from __future__ import annotations

import uuid

import pytest


async def test_creator_becomes_owner_and_sees_workspace_in_list(client, as_user):
    response = await client.post(
        "/v1/workspaces", json={"name": "Alpha", "slug": "alpha-1"}, headers=as_user("u-alpha")
    )
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "owner"
    listed = await client.get("/v1/workspaces", headers=as_user("u-alpha"))
    assert [w["slug"] for w in listed.json()] == ["alpha-1"]
    assert (await client.get("/v1/workspaces", headers=as_user("someone-else"))).json() == []


async def test_duplicate_slug_is_a_conflict(client, as_user):
    payload = {"name": "Beta", "slug": "beta-dup"}
    assert (
        await client.post("/v1/workspaces", json=payload, headers=as_user("a"))
    ).status_code == 201
    response = await client.post("/v1/workspaces", json=payload, headers=as_user("b"))
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert "beta-dup" in response.json()["detail"]


async def test_other_workspace_is_404_not_403(client, as_user, new_workspace):
    ws_a, _owner_a = await new_workspace()
    _ws_b, owner_b = await new_workspace()
    response = await client.get(f"/v1/workspaces/{ws_a}", headers=as_user(owner_b))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_invalid_workspace_uuid_is_400(client, as_user):
    response = await client.get("/v1/workspaces/not-a-uuid", headers=as_user("x"))
    assert response.status_code == 400
    assert "not a valid workspace id" in response.json()["detail"]


async def test_workspace_scoped_route_without_workspace_is_400(client, as_user):
    response = await client.get("/v1/audit", headers=as_user("x"))
    assert response.status_code == 400
    assert "X-Workspace-Id" in response.json()["detail"]


async def test_mismatched_workspace_header_is_400(client, as_user, new_workspace):
    ws, owner = await new_workspace()
    headers = as_user(owner, workspace_id=uuid.uuid4())
    response = await client.get(f"/v1/workspaces/{ws}", headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b'{"name": "x", "slug": "ok-slug", "owner": "me"}', 422, "owner: unknown field"),
        (b'{"name": "x", "slug": "Bad Slug"}', 422, "slug"),
        (b'{"name": "x"}', 422, "slug"),
    ],
)
async def test_bad_workspace_bodies_are_clear_4xx(client, as_user, body, status, needle):
    headers = {**as_user("bad-input"), "content-type": "application/json"}
    response = await client.post("/v1/workspaces", content=body, headers=headers)
    assert response.status_code == status
    payload = response.json()
    assert set(payload) >= {"error", "detail", "request_id"}
    assert needle in payload["detail"]
    assert (await client.get("/v1/workspaces", headers=as_user("bad-input"))).json() == []


async def test_oversized_body_is_413(client, as_user):
    body = {"name": "x" * (2 << 20), "slug": "big-one"}
    response = await client.post("/v1/workspaces", json=body, headers=as_user("big"))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


async def test_missing_token_is_401_with_shared_error_shape(client):
    response = await client.get("/v1/workspaces")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["x-request-id"] == response.json()["request_id"]


async def test_request_id_is_propagated(client, as_user):
    headers = {**as_user("rid"), "x-request-id": "abc-123"}
    response = await client.get("/v1/workspaces", headers=headers)
    assert response.headers["x-request-id"] == "abc-123"
