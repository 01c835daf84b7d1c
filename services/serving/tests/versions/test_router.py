"""Versions: preflight before any write, content addressing, immutability and integrity on load."""

from __future__ import annotations

from sqlalchemy import text


async def _outbox_types(conn) -> list[str]:
    rows = await conn.execute(text("SELECT event_type FROM serving.outbox ORDER BY seq"))
    return [r[0] for r in rows]


async def test_register_stores_a_content_addressed_version_and_audits_it(
    client, workspace, as_user, register_body, qm_connection
):
    ws = workspace(alice="editor")
    response = await client.post(
        "/v1/serving/versions", json=register_body(), headers=as_user("alice", ws)
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["created"] is True
    assert created["serving_id"].startswith("srv_qmdemo_silver_")
    again = await client.post(
        "/v1/serving/versions", json=register_body(), headers=as_user("alice", ws)
    )
    assert again.status_code == 200
    assert again.json()["serving_id"] == created["serving_id"]
    assert again.json()["created"] is False
    detail = await client.get(
        f"/v1/serving/versions/{created['serving_id']}", headers=as_user("alice", ws)
    )
    assert detail.status_code == 200
    spec = detail.json()["spec"]
    assert spec["serving_id"] == created["serving_id"]
    assert spec["runtime_snapshot"]["instrument"]["symbol"] == "QMDEMO"
    assert await _outbox_types(qm_connection) == [
        "serving.version_registered.v1",
        "serving.audit_recorded.v1",
    ]


async def test_changed_content_is_a_new_version(client, workspace, as_user, register_body):
    ws = workspace(alice="editor")
    headers = as_user("alice", ws)
    a = await client.post("/v1/serving/versions", json=register_body("qmdemo_vp"), headers=headers)
    b = await client.post(
        "/v1/serving/versions", json=register_body("qmdemo_vp", tanh_scale=2.5), headers=headers
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["serving_id"] != b.json()["serving_id"]
    listed = await client.get("/v1/serving/versions", headers=headers)
    assert [v["serving_id"] for v in listed.json()] == [
        b.json()["serving_id"],
        a.json()["serving_id"],
    ]


async def test_spec_declaring_an_unproduced_field_is_rejected_before_any_write(
    client, workspace, as_user, register_body, qm_connection
):
    ws = workspace(alice="editor")
    body = register_body("qmdemo_silver")
    # silver_grid carries no gold; and `no_such_field` is produced by nothing at all
    body["serving"]["stream_schema"] += [
        {"name": "flow_score", "dtype": "float64", "role": "signal"},
        {"name": "no_such_field", "dtype": "float64", "role": "signal"},
    ]
    response = await client.post("/v1/serving/versions", json=body, headers=as_user("alice", ws))
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    reasons = " | ".join(p["reason"] for p in problems)
    assert "'flow_score' is gold" in reasons
    assert "'no_such_field' is not produced by the engine" in reasons
    listed = await client.get("/v1/serving/versions", headers=as_user("alice", ws))
    assert listed.json() == []
    assert await _outbox_types(qm_connection) == []


async def test_unparseable_specs_list_every_problem(client, workspace, as_user, register_body):
    ws = workspace(alice="editor")
    body = register_body()
    body["serving"]["projection"] = {"horizons_ms": [150]}
    body["serving"]["colour"] = "red"
    body["pipeline"]["capture"]["start_time"] = "25:00"
    response = await client.post("/v1/serving/versions", json=body, headers=as_user("alice", ws))
    assert response.status_code == 422
    paths = {(p["file"], p["path"]) for p in response.json()["problems"]}
    assert ("serving", "colour") in paths
    assert ("pipeline", "capture.start_time") in paths


async def test_viewer_cannot_register(client, workspace, as_user, register_body):
    ws = workspace(vera="viewer")
    response = await client.post(
        "/v1/serving/versions", json=register_body(), headers=as_user("vera", ws)
    )
    assert response.status_code == 403


async def test_a_direct_database_edit_makes_the_version_refuse_to_serve(
    client, workspace, as_user, register, register_body, qm_connection
):
    ws = workspace(alice="editor")
    serving_id = await register(ws, "alice", register_body())
    await qm_connection.execute(text("SET LOCAL session_replication_role = replica"))
    await qm_connection.execute(
        text(
            "UPDATE serving.serving_version SET spec_json = replace(spec_json, :a, :b) "
            "WHERE serving_id = :id"
        ),
        {"id": serving_id, "a": '"gamma":1', "b": '"gamma":2'},
    )
    await qm_connection.execute(text("SET LOCAL session_replication_role = origin"))
    headers = as_user("alice", ws)
    detail = await client.get(f"/v1/serving/versions/{serving_id}", headers=headers)
    assert detail.status_code == 409
    assert detail.json()["error"] == "integrity_failed"
    activate = await client.post(
        "/v1/serving/aliases/demo/activate",
        json={"serving_id": serving_id, "reason": "should not go live"},
        headers=headers,
    )
    assert activate.status_code == 409
