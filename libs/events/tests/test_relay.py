"""Outbox + relay + consumer on real Postgres and a real (embedded, restartable) Valkey."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from qm_db.engine import make_sessionmaker
from qm_devstack.valkey import EmbeddedValkey
from qm_events.consumer import ConsumerConfig, consume_batch, ensure_groups
from qm_events.contracts import AuditRecorded
from qm_events.envelope import Envelope, stream_key
from qm_events.outbox import consumed_event_table, emit, outbox_info, outbox_table
from qm_events.relay import FAILURES, RelayConfig, relay_once, run_relay


@pytest.fixture
async def schema(qm_engine: AsyncEngine) -> AsyncIterator[MetaData]:
    """A throwaway service schema with an outbox and a consumer ledger (committed for real)."""
    name = f"evt_{uuid.uuid4().hex[:8]}"
    metadata = MetaData(schema=name)
    outbox_table(metadata)
    consumed_event_table(metadata)
    async with qm_engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
        await conn.run_sync(metadata.create_all)
    yield metadata
    async with qm_engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))


def _sessions(engine: AsyncEngine, metadata: MetaData) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(
        engine, info=outbox_info(metadata.tables[f"{metadata.schema}.outbox"], "evtest")
    )


async def _emit_committed(sessions: async_sessionmaker[AsyncSession], n: int) -> None:
    for i in range(n):
        async with sessions() as session, session.begin():
            await emit(
                session,
                AuditRecorded(actor_id="a", action=f"thing.{i}", target="t"),
                workspace_id=uuid.uuid4(),
            )


async def test_emit_is_part_of_the_business_transaction(qm_engine, schema):
    sessions = _sessions(qm_engine, schema)
    outbox = schema.tables[f"{schema.schema}.outbox"]
    with pytest.raises(RuntimeError, match="boom"):
        async with sessions() as session, session.begin():
            await emit(session, AuditRecorded(actor_id="a", action="x", target="t"))
            raise RuntimeError("boom")
    async with sessions() as session:
        assert (await session.execute(select(func.count()).select_from(outbox))).scalar() == 0


async def test_relay_loses_nothing_while_redis_is_down(qm_engine, schema, tmp_path: Path):
    sessions = _sessions(qm_engine, schema)
    outbox = schema.tables[f"{schema.schema}.outbox"]
    server = EmbeddedValkey(tmp_path / "valkey")
    url = server.start()
    port = server.port
    redis = Redis.from_url(url)
    config = RelayConfig(
        source="evtest",
        namespace="t:",
        backoff_initial_s=0.05,
        backoff_max_s=0.2,
        idle_sleep_s=0.05,
    )
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(sessions, outbox, redis, config, stop))
    try:
        await _emit_committed(sessions, 3)
        server.stop()
        failures_before = FAILURES.labels("evtest")._value.get()
        await _emit_committed(sessions, 4)
        await asyncio.sleep(0.6)
        assert FAILURES.labels("evtest")._value.get() > failures_before
        server = EmbeddedValkey(tmp_path / "valkey", port=port)
        server.start()
        key = stream_key("evtest", "t:")
        for _ in range(100):
            async with sessions() as session:
                pending = (
                    await session.execute(
                        select(func.count())
                        .select_from(outbox)
                        .where(outbox.c.published_at.is_(None))
                    )
                ).scalar()
            if pending == 0 and await redis.xlen(key) >= 7:
                break
            await asyncio.sleep(0.1)
        entries = await redis.xrange(key)
        actions = [Envelope.from_fields(f).data["action"] for _, f in entries]
        assert sorted(set(actions)) == sorted(f"thing.{i}" for i in range(4))
        assert len({Envelope.from_fields(f).id for _, f in entries}) == 7
        assert pending == 0
    finally:
        stop.set()
        await relay
        await redis.aclose()
        server.stop()


async def test_consumer_handles_each_envelope_once_even_if_delivered_twice(
    qm_engine, schema, qm_redis, qm_redis_namespace
):
    sessions = _sessions(qm_engine, schema)
    outbox = schema.tables[f"{schema.schema}.outbox"]
    ledger = schema.tables[f"{schema.schema}.consumed_event"]
    await _emit_committed(sessions, 2)
    config = RelayConfig(source="evtest", namespace=qm_redis_namespace)
    async with sessions() as session, session.begin():
        assert await relay_once(session, outbox, qm_redis, config) == 2
    async with sessions() as session, session.begin():  # simulate a crash before marking
        await session.execute(outbox.update().values(published_at=None))
    async with sessions() as session, session.begin():
        assert await relay_once(session, outbox, qm_redis, config) == 2
    handled: list[str] = []

    async def handler(_session: AsyncSession, envelope: Envelope) -> None:
        handled.append(envelope.data["action"])

    consumer = ConsumerConfig(
        name="test-consumer", streams=[stream_key("evtest", qm_redis_namespace)], block_ms=50
    )
    await ensure_groups(qm_redis, consumer)
    await consume_batch(sessions, ledger, qm_redis, consumer, handler)
    assert sorted(handled) == ["thing.0", "thing.1"]
