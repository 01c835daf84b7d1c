"""Stream leases on a real Redis: one quota across replicas, expiry after a crash, renewal."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from qm_core.errors import QuotaExceeded
from qm_serving.stream.leases import StreamLeases


async def test_two_replicas_share_one_workspace_quota(qm_redis: Redis, qm_redis_namespace: str):
    ws, other = uuid.uuid4(), uuid.uuid4()
    a = StreamLeases(qm_redis, qm_redis_namespace)
    b = StreamLeases(qm_redis, qm_redis_namespace)
    first = await a.acquire(ws, 2)
    await b.acquire(ws, 2)
    with pytest.raises(QuotaExceeded, match="max_streams quota reached \\(2 open streams\\)"):
        await a.acquire(ws, 2)
    await b.acquire(other, 2)  # quotas are per workspace
    await a.release(first)
    await b.acquire(ws, 2)
    assert await a.count(ws) == 2


async def test_a_crashed_replicas_leases_expire_and_live_ones_are_renewed(
    qm_redis: Redis, qm_redis_namespace: str
):
    ws = uuid.uuid4()
    crashed = StreamLeases(qm_redis, qm_redis_namespace, ttl_s=0.6)
    alive = StreamLeases(qm_redis, qm_redis_namespace, ttl_s=0.6)
    await crashed.acquire(ws, 2)  # never renewed, never released
    await alive.acquire(ws, 2)
    alive.start()
    try:
        await asyncio.sleep(1.0)
        assert await alive.count(ws) == 1  # the crashed one expired, the renewed one stays
        await alive.acquire(ws, 2)
    finally:
        await alive.close()
    assert await alive.count(ws) == 0
