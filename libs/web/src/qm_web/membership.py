"""Membership lookup: a role per (workspace, user), cached briefly, dropped on membership events."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Protocol

import httpx
from redis.asyncio import Redis

from qm_core.errors import Unavailable
from qm_events.contracts import MEMBERSHIP_TYPE_SUFFIX
from qm_events.envelope import Envelope, stream_key
from qm_web.rbac import Role

log = logging.getLogger("qm.web.membership")


class MembershipResolver(Protocol):
    """Tells a user's role in a workspace (None when not a member or no such workspace)."""

    async def role_of(self, workspace_id: uuid.UUID, user_id: str) -> Role | None: ...


class TtlCache:
    """A small (workspace, user) -> role cache with a time to live and explicit invalidation."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._items: dict[tuple[uuid.UUID, str], tuple[float, Role | None]] = {}

    def get(self, key: tuple[uuid.UUID, str]) -> tuple[bool, Role | None]:
        hit = self._items.get(key)
        if hit is None or time.monotonic() - hit[0] > self._ttl_s:
            return False, None
        return True, hit[1]

    def put(self, key: tuple[uuid.UUID, str], role: Role | None) -> None:
        self._items[key] = (time.monotonic(), role)

    def invalidate(self, workspace_id: uuid.UUID, user_id: str | None = None) -> None:
        """Drop one pair, or every entry of a workspace."""
        for key in [k for k in self._items if k[0] == workspace_id]:
            if user_id is None or key[1] == user_id:
                del self._items[key]


class TenancyMembershipClient:
    """Asks tenancy's internal API (`/internal/v1/memberships/...`) with a service token."""

    def __init__(self, base_url: str, service_token: str, *, ttl_s: float = 5.0) -> None:
        self.cache = TtlCache(ttl_s)
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=5.0, headers={"Authorization": f"Bearer {service_token}"}
        )

    async def role_of(self, workspace_id: uuid.UUID, user_id: str) -> Role | None:
        hit, role = self.cache.get((workspace_id, user_id))
        if hit:
            return role
        try:
            response = await self._client.get(
                f"/internal/v1/workspaces/{workspace_id}/members/{user_id}"
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"tenancy unreachable: {exc}") from exc
        if response.status_code == 404:
            role = None
        elif response.is_success:
            role = Role.parse(response.json()["role"])
        else:
            raise Unavailable(f"tenancy membership lookup failed ({response.status_code})")
        self.cache.put((workspace_id, user_id), role)
        return role

    async def aclose(self) -> None:
        await self._client.aclose()


async def watch_membership_events(
    redis: Redis, cache: TtlCache, stop: asyncio.Event, *, namespace: str = ""
) -> None:
    """Follow tenancy's event stream (fan-out read, from now) and invalidate changed pairs."""
    key, last = stream_key("tenancy", namespace), "$"
    while not stop.is_set():
        try:
            replies = await redis.xread({key: last}, block=500, count=100)
        except Exception as exc:  # Redis away: the TTL still bounds staleness; retry
            log.warning("membership watch failed", extra={"error": repr(exc)})
            await asyncio.sleep(1.0)
            continue
        for _stream, entries in replies or []:
            for entry_id, fields in entries:
                last = entry_id
                envelope = Envelope.from_fields(fields)
                if envelope.type.endswith(MEMBERSHIP_TYPE_SUFFIX) and envelope.workspace_id:
                    cache.invalidate(envelope.workspace_id, envelope.data.get("user_id"))
