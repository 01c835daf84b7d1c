"""The audit chain: every privileged mutation lands in the outbox; the chain detects tampering."""

from __future__ import annotations

from sqlalchemy import select, text

from qm_events.consumer import claim
from qm_events.envelope import Envelope
from qm_tenancy.audit.consumers import on_envelope
from qm_tenancy.db import consumed_event, outbox


async def _drain_outbox_into_chain(sessions) -> list[Envelope]:
    """What relay + consumer do, on the test's transaction: feed every outbox row once."""
    async with sessions() as session:
        rows = (await session.execute(select(outbox.c.envelope).order_by(outbox.c.seq))).all()
        envelopes = [Envelope.model_validate(r.envelope) for r in rows]
        for envelope in envelopes:
            if await claim(session, consumed_event, "tenancy-audit", envelope):
                await on_envelope(session, envelope)
        await session.commit()
    return envelopes


async def test_admin_and_owner_mutations_are_audited_with_actor(
    client, as_user, new_workspace, add_member, sessions
):
    ws, owner = await new_workspace()
    admin = await add_member(ws, owner, "admin")
    await client.post(
        f"/v1/workspaces/{ws}/quotas",
        json={"max_jobs": 2, "max_streams": 2, "max_storage_gb": 2},
        headers=as_user(admin),
    )
    await client.put(
        f"/v1/workspaces/{ws}/flags", json={"flags": {"ff_gold_dsl": False}}, headers=as_user(admin)
    )
    envelopes = await _drain_outbox_into_chain(sessions)
    assert {e.type for e in envelopes} >= {
        "tenancy.audit_recorded.v1",
        "tenancy.membership_changed.v1",
    }
    chain = (
        await client.get("/v1/audit", params={"workspace_id": str(ws)}, headers=as_user(owner))
    ).json()
    mine = [(e["actor_id"], e["action"]) for e in chain]
    assert mine == [
        (owner, "workspace.created"),
        (owner, "member.added"),
        (admin, "quota.set"),
        (admin, "flags.set"),
    ]
    assert [e["seq"] for e in chain] == [1, 2, 3, 4]
    assert chain[1]["prev_hash"] == chain[0]["hash"]


async def test_verify_detects_a_row_tampered_in_the_database(
    client, as_user, new_workspace, add_member, sessions, qm_connection
):
    ws, owner = await new_workspace()
    await add_member(ws, owner, "viewer")
    await add_member(ws, owner, "editor")
    await _drain_outbox_into_chain(sessions)
    verdict = (
        await client.get(
            "/v1/audit/verify", params={"workspace_id": str(ws)}, headers=as_user(owner)
        )
    ).json()
    assert verdict["ok"] is True
    assert verdict["count"] == 3
    await qm_connection.execute(
        text(
            "UPDATE tenancy.audit_event SET actor_id = 'mallory' "
            "WHERE workspace_id = :ws AND seq = 2"
        ),
        {"ws": ws},
    )
    verdict = (
        await client.get(
            "/v1/audit/verify", params={"workspace_id": str(ws)}, headers=as_user(owner)
        )
    ).json()
    assert verdict["ok"] is False
    assert verdict["first_broken"]["seq"] == 2
    assert "hash does not match" in verdict["first_broken"]["reason"]


async def test_verify_detects_a_deleted_row(
    client, as_user, new_workspace, add_member, sessions, qm_connection
):
    ws, owner = await new_workspace()
    await add_member(ws, owner, "viewer")
    await add_member(ws, owner, "viewer")
    await _drain_outbox_into_chain(sessions)
    await qm_connection.execute(
        text("DELETE FROM tenancy.audit_event WHERE workspace_id = :ws AND seq = 2"), {"ws": ws}
    )
    verdict = (
        await client.get(
            "/v1/audit/verify", params={"workspace_id": str(ws)}, headers=as_user(owner)
        )
    ).json()
    assert verdict["first_broken"]["seq"] == 3
    assert "sequence gap" in verdict["first_broken"]["reason"]


async def test_replayed_envelope_is_appended_once(client, as_user, new_workspace, sessions):
    ws, owner = await new_workspace()
    await _drain_outbox_into_chain(sessions)
    await _drain_outbox_into_chain(sessions)
    chain = (
        await client.get("/v1/audit", params={"workspace_id": str(ws)}, headers=as_user(owner))
    ).json()
    assert len(chain) == 1


async def test_editor_cannot_read_audit(client, as_user, new_workspace, add_member):
    ws, owner = await new_workspace()
    editor = await add_member(ws, owner, "editor")
    response = await client.get(
        "/v1/audit", params={"workspace_id": str(ws)}, headers=as_user(editor)
    )
    assert response.status_code == 403
