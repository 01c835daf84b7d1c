"""Aliases: activation and rollback repoint only, history and audit keep actor and reason, RBAC."""

from __future__ import annotations

import json

from sqlalchemy import text


async def _two_versions(register, register_body, ws, user="alice"):
    v1 = await register(ws, user, register_body("qmdemo_vp"))
    v2 = await register(ws, user, register_body("qmdemo_vp", tanh_scale=2.5))
    return v1, v2


async def _activate(client, headers, alias, serving_id, reason):
    return await client.post(
        f"/v1/serving/aliases/{alias}/activate",
        json={"serving_id": serving_id, "reason": reason},
        headers=headers,
    )


async def _envelopes(conn, event_type):
    rows = await conn.execute(
        text("SELECT envelope FROM serving.outbox WHERE event_type = :t ORDER BY seq"),
        {"t": event_type},
    )
    return [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]


async def test_operator_rolls_back_to_the_prior_version_with_history_and_audit(
    client, workspace, as_user, register, register_body, qm_connection
):
    ws = workspace(alice="editor", olga="editor")
    v1, v2 = await _two_versions(register, register_body, ws)
    alice, olga = as_user("alice", ws), as_user("olga", ws)
    assert (await _activate(client, alice, "demo", v1, "first release")).status_code == 200
    assert (await _activate(client, alice, "demo", v2, "tighter tanh")).status_code == 200
    rolled = await client.post(
        "/v1/serving/aliases/demo/rollback", json={"reason": "v2 flickers"}, headers=olga
    )
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["from_version"] == v2
    assert rolled.json()["to_version"] == v1
    alias = await client.get("/v1/serving/aliases/demo", headers=alice)
    assert alias.json()["serving_id"] == v1
    history = (await client.get("/v1/serving/aliases/demo/history", headers=alice)).json()
    assert [
        (h["kind"], h["from_version"], h["to_version"], h["actor"], h["reason"]) for h in history
    ] == [
        ("rollback", v2, v1, "olga", "v2 flickers"),
        ("activate", v1, v2, "alice", "tighter tanh"),
        ("activate", None, v1, "alice", "first release"),
    ]
    audits = await _envelopes(qm_connection, "serving.audit_recorded.v1")
    rollback_audit = [a["data"] for a in audits if a["data"]["action"] == "serving.alias_rollback"]
    assert rollback_audit[0]["actor_id"] == "olga"
    assert rollback_audit[0]["payload"]["reason"] == "v2 flickers"
    moved = await _envelopes(qm_connection, "serving.alias_moved.v1")
    assert [m["data"]["to_version"] for m in moved] == [v1, v2, v1]
    detail = await client.get(f"/v1/serving/versions/{v2}", headers=alice)
    assert detail.status_code == 200


async def test_repeated_rollbacks_step_back_instead_of_toggling(
    client, workspace, as_user, register, register_body
):
    ws = workspace(alice="editor")
    headers = as_user("alice", ws)
    v1, v2 = await _two_versions(register, register_body, ws)
    v3 = await register(ws, "alice", register_body("qmdemo_vp", tanh_scale=1.5))
    for version in (v1, v2, v3):
        assert (await _activate(client, headers, "demo", version, "roll out")).status_code == 200
    targets = []
    for _ in range(2):
        rolled = await client.post(
            "/v1/serving/aliases/demo/rollback", json={"reason": "step back"}, headers=headers
        )
        targets.append(rolled.json()["to_version"])
    assert targets == [v2, v1]
    none_left = await client.post(
        "/v1/serving/aliases/demo/rollback", json={"reason": "step back"}, headers=headers
    )
    assert none_left.status_code == 409


async def test_activation_needs_a_reason_and_a_known_version(
    client, workspace, as_user, register, register_body
):
    ws = workspace(alice="editor")
    headers = as_user("alice", ws)
    v1 = await register(ws, "alice", register_body())
    no_reason = await client.post(
        "/v1/serving/aliases/demo/activate", json={"serving_id": v1}, headers=headers
    )
    assert no_reason.status_code == 422
    unknown = await _activate(client, headers, "demo", "srv_nope_0000", "because")
    assert unknown.status_code == 404
    stale = await client.post(
        "/v1/serving/aliases/demo/activate",
        json={"serving_id": v1, "reason": "go live", "expected_current": "srv_other"},
        headers=headers,
    )
    assert stale.status_code == 409
    assert (await client.get("/v1/serving/aliases", headers=headers)).json() == []


async def test_viewer_can_read_but_not_activate_or_roll_back(
    client, workspace, as_user, register, register_body
):
    ws = workspace(alice="editor", vera="viewer")
    v1 = await register(ws, "alice", register_body())
    assert (await _activate(client, as_user("alice", ws), "demo", v1, "go live")).status_code == 200
    viewer = as_user("vera", ws)
    assert (await client.get("/v1/serving/aliases/demo", headers=viewer)).status_code == 200
    assert (await _activate(client, viewer, "demo", v1, "mine now")).status_code == 403
    rolled = await client.post(
        "/v1/serving/aliases/demo/rollback", json={"reason": "nope"}, headers=viewer
    )
    assert rolled.status_code == 403


async def test_another_workspace_alias_is_not_found(
    client, workspace, as_user, register, register_body
):
    ws_a = workspace(alice="owner")
    ws_b = workspace(bob="owner")
    v1 = await register(ws_a, "alice", register_body())
    assert (
        await _activate(client, as_user("alice", ws_a), "demo", v1, "go live")
    ).status_code == 200
    bob = as_user("bob", ws_b)
    assert (await client.get("/v1/serving/aliases/demo", headers=bob)).status_code == 404
    assert (await client.get(f"/v1/serving/versions/{v1}", headers=bob)).status_code == 404
    assert (await _activate(client, bob, "demo", v1, "steal")).status_code == 404
    as_outsider = as_user("bob", ws_a)
    assert (await client.get("/v1/serving/aliases/demo", headers=as_outsider)).status_code == 404
