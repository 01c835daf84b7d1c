"""The policy table, the membership cache and its invalidation by membership events."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from qm_events.contracts import MembershipChanged
from qm_events.envelope import Envelope, stream_key
from qm_web.membership import TenancyMembershipClient, watch_membership_events
from qm_web.rbac import POLICY, Role, allows


def test_roles_are_ordered_and_deny_by_default() -> None:
    assert Role.owner > Role.admin > Role.editor > Role.viewer
    assert allows(Role.editor, "jobs.submit")
    assert not allows(Role.viewer, "jobs.submit")
    assert not allows(None, "workspace.read")
    with pytest.raises(KeyError):
        allows(Role.owner, "undeclared.action")


def test_every_mutation_action_needs_more_than_viewer() -> None:
    readers = {a for a, r in POLICY.items() if r == Role.viewer}
    assert all(a.endswith((".read", ".watch")) for a in readers), readers


async def test_membership_is_cached_then_invalidated_by_event(qm_redis, qm_redis_namespace):
    ws = uuid.uuid4()
    roles = {"bob": "viewer"}
    calls: list[str] = []

    def tenancy(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        user = request.url.path.rsplit("/", 1)[-1]
        if user not in roles:
            return httpx.Response(404, json={"error": "not_found"})
        return httpx.Response(200, json={"role": roles[user]})

    client = TenancyMembershipClient("http://tenancy", "tok", ttl_s=3600)
    client._client = httpx.AsyncClient(
        base_url="http://tenancy", transport=httpx.MockTransport(tenancy)
    )
    assert await client.role_of(ws, "bob") == Role.viewer
    roles["bob"] = "admin"
    assert await client.role_of(ws, "bob") == Role.viewer  # cached
    assert len(calls) == 1
    stop = asyncio.Event()
    watcher = asyncio.create_task(
        watch_membership_events(qm_redis, client.cache, stop, namespace=qm_redis_namespace)
    )
    await asyncio.sleep(0.2)
    envelope = Envelope(
        type=MembershipChanged.type_for("tenancy"),
        source="tenancy",
        workspace_id=ws,
        data={"user_id": "bob", "role": "admin"},
    )
    await qm_redis.xadd(stream_key("tenancy", qm_redis_namespace), envelope.to_fields())
    for _ in range(50):
        if await client.role_of(ws, "bob") == Role.admin:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await watcher
    assert await client.role_of(ws, "bob") == Role.admin
    assert await client.role_of(ws, "nobody") is None
    await client.aclose()
