"""Feature flags: environment defaults, per-workspace overrides, roles, unknown flags."""

from __future__ import annotations

from qm_tenancy.settings import FLAGS


async def test_defaults_then_workspace_override(client, as_user, new_workspace, service_headers):
    ws, owner = await new_workspace()
    flags = (await client.get(f"/v1/workspaces/{ws}/flags", headers=as_user(owner))).json()
    assert set(flags) == set(FLAGS)
    assert all(f["source"] == "environment" for f in flags.values())
    put = await client.put(
        f"/v1/workspaces/{ws}/flags",
        json={"flags": {"ff_live_ingestion": False}},
        headers=as_user(owner),
    )
    assert put.status_code == 200
    assert put.json()["ff_live_ingestion"] == {"enabled": False, "source": "workspace"}
    internal = await client.get(f"/internal/v1/workspaces/{ws}/flags", headers=service_headers)
    assert internal.json()["ff_live_ingestion"]["enabled"] is False
    reset = await client.put(
        f"/v1/workspaces/{ws}/flags",
        json={"flags": {"ff_live_ingestion": None}},
        headers=as_user(owner),
    )
    assert reset.json()["ff_live_ingestion"]["source"] == "environment"


async def test_unknown_flag_is_422(client, as_user, new_workspace):
    ws, owner = await new_workspace()
    response = await client.put(
        f"/v1/workspaces/{ws}/flags", json={"flags": {"ff_nope": True}}, headers=as_user(owner)
    )
    assert response.status_code == 422
    assert "ff_nope" in response.text


async def test_editor_reads_but_cannot_set_flags(client, as_user, new_workspace, add_member):
    ws, owner = await new_workspace()
    editor = await add_member(ws, owner, "editor")
    assert (
        await client.get(f"/v1/workspaces/{ws}/flags", headers=as_user(editor))
    ).status_code == 200
    response = await client.put(
        f"/v1/workspaces/{ws}/flags",
        json={"flags": {"ff_gold_dsl": False}},
        headers=as_user(editor),
    )
    assert response.status_code == 403
