"""Membership rules: who may grant what, duplicates, last owner, removal."""

from __future__ import annotations


async def _post_member(client, as_user, ws, actor, user, role):
    return await client.post(
        f"/v1/workspaces/{ws}/members", json={"user_id": user, "role": role}, headers=as_user(actor)
    )


async def test_owner_adds_and_rerole_member(client, as_user, new_workspace):
    ws, owner = await new_workspace()
    created = await _post_member(client, as_user, ws, owner, "carol", "viewer")
    assert created.status_code == 201
    changed = await _post_member(client, as_user, ws, owner, "carol", "editor")
    assert changed.status_code == 200
    assert changed.json()["role"] == "editor"
    members = await client.get(f"/v1/workspaces/{ws}/members", headers=as_user("carol"))
    assert {m["user_id"]: m["role"] for m in members.json()} == {owner: "owner", "carol": "editor"}


async def test_duplicate_member_is_409_and_changes_nothing(client, as_user, new_workspace):
    ws, owner = await new_workspace()
    assert (await _post_member(client, as_user, ws, owner, "dave", "viewer")).status_code == 201
    again = await _post_member(client, as_user, ws, owner, "dave", "viewer")
    assert again.status_code == 409
    assert "already a member" in again.json()["detail"]


async def test_editor_cannot_change_membership(client, as_user, new_workspace, add_member):
    ws, owner = await new_workspace()
    editor = await add_member(ws, owner, "editor")
    response = await _post_member(client, as_user, ws, editor, "erin", "viewer")
    assert response.status_code == 403
    assert "needs role admin" in response.json()["detail"]
    delete = await client.delete(f"/v1/workspaces/{ws}/members/{owner}", headers=as_user(editor))
    assert delete.status_code == 403


async def test_admin_cannot_grant_owner_but_owner_can(client, as_user, new_workspace, add_member):
    ws, owner = await new_workspace()
    admin = await add_member(ws, owner, "admin")
    assert (await _post_member(client, as_user, ws, admin, "frank", "editor")).status_code == 201
    denied = await _post_member(client, as_user, ws, admin, "frank", "owner")
    assert denied.status_code == 403
    assert (await _post_member(client, as_user, ws, owner, "frank", "owner")).status_code == 200


async def test_last_owner_cannot_leave_or_be_demoted(client, as_user, new_workspace):
    ws, owner = await new_workspace()
    removed = await client.delete(f"/v1/workspaces/{ws}/members/{owner}", headers=as_user(owner))
    assert removed.status_code == 409
    demoted = await _post_member(client, as_user, ws, owner, owner, "admin")
    assert demoted.status_code == 409


async def test_removed_member_loses_access(client, as_user, new_workspace, add_member):
    ws, owner = await new_workspace()
    viewer = await add_member(ws, owner, "viewer")
    assert (await client.get(f"/v1/workspaces/{ws}", headers=as_user(viewer))).status_code == 200
    gone = await client.delete(f"/v1/workspaces/{ws}/members/{viewer}", headers=as_user(owner))
    assert gone.status_code == 204
    assert (await client.get(f"/v1/workspaces/{ws}", headers=as_user(viewer))).status_code == 404
    again = await client.delete(f"/v1/workspaces/{ws}/members/{viewer}", headers=as_user(owner))
    assert again.status_code == 404


async def test_viewer_cannot_mutate_anything(client, as_user, new_workspace, add_member):
    ws, owner = await new_workspace()
    viewer = await add_member(ws, owner, "viewer")
    headers = as_user(viewer)
    attempts = [
        client.post(
            f"/v1/workspaces/{ws}/members", json={"user_id": "z", "role": "viewer"}, headers=headers
        ),
        client.delete(f"/v1/workspaces/{ws}/members/{owner}", headers=headers),
        client.post(
            f"/v1/workspaces/{ws}/quotas",
            json={"max_jobs": 1, "max_streams": 1, "max_storage_gb": 1},
            headers=headers,
        ),
        client.put(
            f"/v1/workspaces/{ws}/flags", json={"flags": {"ff_gold_dsl": False}}, headers=headers
        ),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 403, response.text
