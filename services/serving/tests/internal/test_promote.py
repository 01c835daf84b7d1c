"""Internal promotion: service token only, idempotent per key, one version per completed session."""

from __future__ import annotations

SERVICE = {"Authorization": "Bearer test-service-token"}


def _promotion(register_body, run_id="run-42"):
    version = register_body("qmdemo_vp")
    version["lineage"] = {"experiment_name": "qmdemo_flow_sweep", "run_id": run_id}
    return {"version": version, "actor_id": "modeling", "alias": "candidate"}


async def test_promoting_the_same_session_twice_yields_one_version_and_one_move(
    client, workspace, as_user, register_body
):
    ws = workspace(alice="viewer")
    url = f"/internal/v1/workspaces/{ws}/promotions"
    headers = {**SERVICE, "Idempotency-Key": "session-0001"}
    first = await client.post(url, json=_promotion(register_body), headers=headers)
    again = await client.post(url, json=_promotion(register_body), headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["replayed"] is False
    assert again.json() == {**first.json(), "replayed": True}
    other_key = await client.post(
        url, json=_promotion(register_body), headers={**SERVICE, "Idempotency-Key": "session-2"}
    )
    assert other_key.json()["serving_id"] == first.json()["serving_id"]
    viewer = as_user("alice", ws)
    versions = (await client.get("/v1/serving/versions", headers=viewer)).json()
    assert [v["serving_id"] for v in versions] == [first.json()["serving_id"]]
    assert versions[0]["source_run_id"] == "run-42"
    history = (await client.get("/v1/serving/aliases/candidate/history", headers=viewer)).json()
    assert [(h["kind"], h["actor"]) for h in history] == [("promote", "modeling")]


async def test_reusing_a_key_for_another_promotion_conflicts(client, workspace, register_body):
    ws = workspace()
    url = f"/internal/v1/workspaces/{ws}/promotions"
    headers = {**SERVICE, "Idempotency-Key": "session-0002"}
    assert (await client.post(url, json=_promotion(register_body), headers=headers)).is_success
    other = await client.post(url, json=_promotion(register_body, "run-43"), headers=headers)
    assert other.status_code == 409


async def test_promotion_needs_the_service_token(client, workspace, as_user, register_body):
    ws = workspace(alice="owner")
    response = await client.post(
        f"/internal/v1/workspaces/{ws}/promotions",
        json=_promotion(register_body),
        headers={**as_user("alice", ws), "Idempotency-Key": "session-0003"},
    )
    assert response.status_code == 401
