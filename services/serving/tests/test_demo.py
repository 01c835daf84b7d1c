"""The demo seed body registers the demo spec; seeding twice is the same version."""

from __future__ import annotations

from pathlib import Path

from qm_serving.demo import registration

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


async def test_demo_registration_is_idempotent(client, workspace, as_user):
    ws = workspace(alice="editor")
    body = registration(CONFIGS, "qmdemo_vp")
    first = await client.post("/v1/serving/versions", json=body, headers=as_user("alice", ws))
    second = await client.post("/v1/serving/versions", json=body, headers=as_user("alice", ws))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["serving_id"] == second.json()["serving_id"]
    assert first.json()["model_id"] == "vacuum_pressure"


async def test_demo_live_spec_registers_as_a_live_version(client, workspace, as_user):
    ws = workspace(alice="editor")
    body = registration(CONFIGS, "es_live_vp")
    reply = await client.post("/v1/serving/versions", json=body, headers=as_user("alice", ws))
    assert reply.status_code == 201, reply.text
    serving_id = reply.json()["serving_id"]
    stored = await client.get(f"/v1/serving/versions/{serving_id}", headers=as_user("alice", ws))
    source = stored.json()["spec"]["runtime_snapshot"]["pipeline"]["source"]
    assert source == {"kind": "live", "dataset": "GLBX.MDP3", "symbol": "ES.c.0"}
