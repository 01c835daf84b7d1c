"""Quotas: validated values, defaults, and the internal read other services use."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "limits",
    [
        {"max_jobs": -1, "max_streams": 1, "max_storage_gb": 1},
        {"max_jobs": 1, "max_streams": 10**9, "max_storage_gb": 1},
        {"max_jobs": 1, "max_streams": 1, "max_storage_gb": -5},
        {"max_jobs": "many", "max_streams": 1, "max_storage_gb": 1},
        {"max_jobs": 1, "max_streams": 1},
    ],
)
async def test_bad_quota_values_are_422(client, as_user, new_workspace, limits):
    ws, owner = await new_workspace()
    response = await client.post(f"/v1/workspaces/{ws}/quotas", json=limits, headers=as_user(owner))
    assert response.status_code == 422
    quota = await client.get(f"/v1/workspaces/{ws}/quotas", headers=as_user(owner))
    assert quota.json()["is_default"] is True


async def test_quota_set_is_read_back_by_internal_api(
    client, as_user, new_workspace, service_headers
):
    ws, owner = await new_workspace()
    limits = {"max_jobs": 3, "max_streams": 7, "max_storage_gb": 120}
    response = await client.post(f"/v1/workspaces/{ws}/quotas", json=limits, headers=as_user(owner))
    assert response.status_code == 200
    internal = await client.get(
        f"/internal/v1/workspaces/{ws}/quotas",
        headers=service_headers,
    )
    assert internal.status_code == 200
    body = internal.json()
    assert {k: body[k] for k in limits} == limits
    assert body["is_default"] is False
    assert body["updated_by"] == owner


async def test_internal_api_refuses_user_tokens(client, as_user, new_workspace):
    ws, owner = await new_workspace()
    response = await client.get(f"/internal/v1/workspaces/{ws}/quotas", headers=as_user(owner))
    assert response.status_code == 401
